import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isFaultlineError } from '../errors.js';
import type { JournalEntry, RollbackJournal } from '../journal.js';

/** What a {@link journalContract} factory returns: a fresh, empty journal and how to get at its storage again. */
export interface JournalUnderTest {
  journal: RollbackJournal;
  /** A second journal over the same storage (a fresh process would open this). Omit for memory-only journals. */
  reopen?: () => Promise<RollbackJournal>;
  /** Removes the storage; called after each test, after the journals are closed. */
  cleanup?: () => Promise<void>;
}

let seq = 0;

/** A valid entry with a unique id, for journal tests; `createdAt` increases with each call. */
export function sampleJournalEntry(overrides: Partial<JournalEntry> = {}): JournalEntry {
  const n = ++seq;
  const at = new Date(Date.UTC(2020, 0, 1) + n * 1000).toISOString();
  return {
    id: `run${n}:step:0`,
    runId: `run${n}`,
    stepId: 'step',
    iteration: 0,
    kind: 'test/noop',
    pack: '@faultline/test-pack',
    tunables: { percent: 50, target: 'eth0' },
    objectName: `faultline_run${n}_step`,
    state: 'injecting',
    bootId: 'boot-1',
    pid: 4242,
    pidStart: '12345',
    createdAt: at,
    updatedAt: at,
    ...overrides,
  };
}

async function rejectsWithJournalError(p: Promise<unknown>): Promise<void> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(isFaultlineError(e, 'FL_JOURNAL'), `expected FL_JOURNAL, got ${String(e)}`).toBe(true);
}

function openFds(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return undefined;
  }
}

/**
 * The behaviour every {@link RollbackJournal} shares (memory, file, SQLite, ...): a vitest suite to
 * call inside a test file. `makeJournal` returns a fresh, empty journal for each test.
 */
export function journalContract(
  makeJournal: () => Promise<JournalUnderTest>,
  opts: { name?: string } = {},
): void {
  /** Runs `body` with a fresh journal; closes everything it opened and cleans up, even on failure. */
  async function withJournal(
    body: (t: JournalUnderTest, track: (j: RollbackJournal) => RollbackJournal) => Promise<void>,
  ) {
    const t = await makeJournal();
    const opened: RollbackJournal[] = [t.journal];
    try {
      await body(t, (j) => {
        opened.push(j);
        return j;
      });
    } finally {
      for (const j of opened) await j.close();
      await t.cleanup?.();
    }
  }

  describe(`journal contract${opts.name ? `: ${opts.name}` : ''}`, () => {
    it('get() returns what begin() stored, and undefined for an unknown id', () =>
      withJournal(async ({ journal }) => {
        const e = sampleJournalEntry({ receipt: { table: 'faultline_x', handles: [1, 2] } });
        await journal.begin(e);
        expect(await journal.get(e.id)).toEqual(e);
        expect(await journal.get('no:such:id')).toBeUndefined();
      }));

    it('pending() lists entries oldest first', () =>
      withJournal(async ({ journal }) => {
        const entries = [sampleJournalEntry(), sampleJournalEntry(), sampleJournalEntry()];
        for (const e of entries) await journal.begin(e);
        expect((await journal.pending()).map((e) => e.id)).toEqual(entries.map((e) => e.id));
      }));

    it('update() merges patches and keeps the other fields', () =>
      withJournal(async ({ journal }) => {
        const e = sampleJournalEntry();
        await journal.begin(e);
        await journal.update(e.id, { state: 'active', receipt: { pid: 77 } });
        await journal.update(e.id, { state: 'reverting', revertAttempts: 1 });
        const got = await journal.get(e.id);
        const { updatedAt: _, ...unchanged } = e;
        expect(got).toMatchObject({
          ...unchanged,
          state: 'reverting',
          receipt: { pid: 77 },
          revertAttempts: 1,
        });
        expect(got?.createdAt).toBe(e.createdAt);
      }));

    it('updatedAt moves forward on update', () =>
      withJournal(async ({ journal }) => {
        const e = sampleJournalEntry();
        await journal.begin(e);
        const before = Date.now();
        await journal.update(e.id, { state: 'active' });
        const got = await journal.get(e.id);
        expect(got?.updatedAt).not.toBe(e.updatedAt);
        expect(Date.parse(got?.updatedAt ?? '')).toBeGreaterThanOrEqual(before - 1000);
      }));

    it('states flow to reverted, which leaves pending() but stays readable by id', () =>
      withJournal(async ({ journal }) => {
        const a = sampleJournalEntry();
        const b = sampleJournalEntry();
        await journal.begin(a);
        await journal.begin(b);
        for (const state of ['active', 'reverting', 'reverted'] as const)
          await journal.update(a.id, { state });
        expect((await journal.pending()).map((e) => e.id)).toEqual([b.id]);
        expect((await journal.get(a.id))?.state).toBe('reverted');
      }));

    it('calls take effect in the order they are made, awaited or not', () =>
      withJournal(async ({ journal }) => {
        const e = sampleJournalEntry();
        const begun = journal.begin(e);
        const updates = (['active', 'reverting', 'reverted'] as const).map((state, i) =>
          journal.update(e.id, { state, revertAttempts: i }),
        );
        await Promise.all([begun, ...updates]);
        expect(await journal.get(e.id)).toMatchObject({ state: 'reverted', revertAttempts: 2 });
      }));

    it('revert_failed stays pending with its error and manual commands', () =>
      withJournal(async ({ journal }) => {
        const e = sampleJournalEntry({ state: 'active', receipt: { table: 't' } });
        await journal.begin(e);
        await journal.update(e.id, { state: 'reverting', revertAttempts: 3 });
        const error = { code: 'FL_REVERT', message: 'nft: table busy' };
        await journal.update(e.id, { state: 'revert_failed', error, manual: 'nft delete table inet t' });
        const [p] = await journal.pending();
        expect(p).toMatchObject({
          id: e.id,
          state: 'revert_failed',
          error,
          manual: 'nft delete table inet t',
          revertAttempts: 3,
        });
      }));

    it('update() of an unknown id fails with FL_JOURNAL and changes nothing', () =>
      withJournal(async ({ journal }) => {
        const e = sampleJournalEntry();
        await journal.begin(e);
        await rejectsWithJournalError(journal.update('no:such:id', { state: 'reverted' }));
        expect(await journal.pending()).toEqual([e]);
      }));

    it('begin() of an id already journaled fails with FL_JOURNAL', () =>
      withJournal(async ({ journal }) => {
        const e = sampleJournalEntry();
        await journal.begin(e);
        await rejectsWithJournalError(journal.begin({ ...e, kind: 'other/kind' }));
        expect((await journal.get(e.id))?.kind).toBe(e.kind);
      }));

    it('returns copies: mutating what it gave or returned does not change the journal', () =>
      withJournal(async ({ journal }) => {
        const e = sampleJournalEntry({ tunables: { n: 1 } });
        await journal.begin(e);
        e.state = 'reverted';
        (e.tunables as { n: number }).n = 2;
        const got = await journal.get(e.id);
        expect(got).toMatchObject({ state: 'injecting', tunables: { n: 1 } });
        if (got) got.state = 'reverted';
        expect(await journal.pending()).toHaveLength(1);
      }));

    it('100 concurrent begins and their updates are all present', () =>
      withJournal(async ({ journal }) => {
        const entries = Array.from({ length: 100 }, () => sampleJournalEntry());
        await Promise.all(entries.map((e) => journal.begin(e)));
        await Promise.all(entries.map((e, i) => journal.update(e.id, { state: 'active', receipt: { i } })));
        const pending = await journal.pending();
        expect(new Set(pending.map((e) => e.id))).toEqual(new Set(entries.map((e) => e.id)));
        for (const p of pending) expect(p.receipt).toEqual({ i: entries.findIndex((e) => e.id === p.id) });
      }));

    it('durable writes survive without close(), as a fresh process would see them', () =>
      withJournal(async ({ journal, reopen }, track) => {
        if (!reopen) return; // memory-only: nothing to survive
        const a = sampleJournalEntry();
        const b = sampleJournalEntry();
        await journal.begin(a);
        await journal.begin(b);
        await journal.update(a.id, { state: 'active', receipt: { table: 'faultline_a' } });
        await journal.update(b.id, {
          state: 'revert_failed',
          error: { code: 'E', message: 'm' },
          manual: 'do it',
        });
        // the first journal stays open: this is what a sentinel or `faultline recover` reads after a crash
        const other = track(await reopen());
        expect(await other.get(a.id)).toMatchObject({ state: 'active', receipt: { table: 'faultline_a' } });
        expect(await other.get(b.id)).toMatchObject({ state: 'revert_failed', manual: 'do it' });
        // and the other way round: an entry the second one writes is seen by the first
        const c = sampleJournalEntry();
        await other.begin(c);
        expect((await journal.pending()).map((e) => e.id)).toEqual([a.id, b.id, c.id]);
      }));

    it('everything survives close() and reopen', () =>
      withJournal(async ({ journal, reopen }, track) => {
        if (!reopen) return;
        const a = sampleJournalEntry();
        await journal.begin(a);
        await journal.update(a.id, { state: 'reverting', revertAttempts: 1 });
        await journal.close();
        const again = track(await reopen());
        expect(await again.get(a.id)).toMatchObject({ state: 'reverting', revertAttempts: 1 });
      }));

    it('after close(), calls fail with FL_JOURNAL, close() again is fine, and no descriptor is left open', async () => {
      const before = openFds();
      await withJournal(async ({ journal }) => {
        const e = sampleJournalEntry();
        await journal.begin(e);
        await journal.update(e.id, { state: 'reverting' });
        await journal.pending();
        await journal.close();
        await journal.close();
        await rejectsWithJournalError(journal.begin(sampleJournalEntry()));
        await rejectsWithJournalError(journal.update(e.id, { state: 'reverted' }));
        await rejectsWithJournalError(journal.pending());
        await rejectsWithJournalError(journal.get(e.id));
      });
      if (before !== undefined) expect(openFds()).toBeLessThanOrEqual(before);
    });
  });
}
