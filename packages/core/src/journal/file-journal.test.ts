import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, type TestContext } from 'vitest';
import { isFaultlineError } from '../errors.js';
import type { JournalEntry } from '../journal.js';
import { sampleJournalEntry } from '../testing/journal-contract.js';
import { defaultJournalPath, FileJournal, type FileJournalOptions } from './file-journal.js';

/** A fresh journal path in a temp dir, and journals on it, closed and removed when the test ends. */
function setup(onTestFinished: TestContext['onTestFinished']) {
  const dir = mkdtempSync(join(tmpdir(), 'fltA-file-'));
  const journals: FileJournal[] = [];
  onTestFinished(async () => {
    for (const j of journals) await j.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const path = defaultJournalPath(dir);
  const warnings: string[] = [];
  const make = (opts: FileJournalOptions = {}) => {
    const j = new FileJournal(path, { onWarning: (m) => warnings.push(m), ...opts });
    journals.push(j);
    return j;
  };
  const lines = () => readFileSync(path, 'utf8').split('\n').slice(0, -1);
  return { dir, path, warnings, make, lines, journals };
}

describe.concurrent('FileJournal', () => {
  it('a torn last line is skipped with one warning, and the next append starts a fresh line', async ({
    onTestFinished,
  }) => {
    const { path, warnings, make, lines, journals } = setup(onTestFinished);
    const j = make();
    const a = sampleJournalEntry();
    await j.begin(a);
    // another process died in the middle of its write
    appendFileSync(path, '{"op":"begin","entry":{"id":"torn:st');
    // a moment later it could still be a write in progress: not reported yet
    expect(await j.pending()).toEqual([a]);
    expect(warnings).toEqual([]);
    const past = new Date(Date.now() - 5_000);
    utimesSync(path, past, past);
    expect(await j.pending()).toEqual([a]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/incomplete last line at byte \d+ of .*journal\.jsonl/);

    const b = sampleJournalEntry();
    await j.begin(b);
    expect(lines()).toEqual([
      expect.stringContaining(a.id),
      '{"op":"begin","entry":{"id":"torn:st',
      expect.stringContaining(b.id),
    ]);
    expect(JSON.parse(lines()[2] as string).entry).toEqual(b);
    expect(await j.pending()).toEqual([a, b]);
    expect(warnings).toHaveLength(1); // the same torn line is not reported again

    // a fresh process reads it too, and its opening compaction drops the torn line for good
    const fresh = await FileJournal.open(path, { onWarning: (m) => warnings.push(m) });
    journals.push(fresh);
    expect(await fresh.pending()).toEqual([a, b]);
    expect(lines()).toHaveLength(2);
  });

  it('an unparsable line in the middle is skipped with a warning; the lines after it still count', async ({
    onTestFinished,
  }) => {
    const { path, warnings, make } = setup(onTestFinished);
    const a = sampleJournalEntry();
    const b = sampleJournalEntry();
    const text = [
      JSON.stringify({ op: 'begin', entry: a }),
      '{"op":"begin","entry":{"id":"x", garbage',
      JSON.stringify({
        op: 'update',
        id: a.id,
        patch: { state: 'active', receipt: { r: 1 } },
        at: '2030-01-01T00:00:00.000Z',
      }),
      JSON.stringify({ op: 'begin', entry: b }),
      '{"op":"update","id":"nobody"}', // well-formed JSON, not a record
    ];
    writeFileSync(path, `${text.join('\n')}\n`);
    const j = make({ keepRevertedMs: 0 });
    expect(await j.pending()).toEqual([
      { ...a, state: 'active', receipt: { r: 1 }, updatedAt: '2030-01-01T00:00:00.000Z' },
      b,
    ]);
    expect(warnings).toEqual([
      expect.stringMatching(/line 2 \(byte \d+\) of .*journal\.jsonl is damaged/),
      expect.stringMatching(/line 5 \(byte \d+\) of .* is damaged/),
    ]);
  });

  it('a group of 10 begins is one write and one fsync; receipts and revert progress are written at once, fsynced by the next group', async ({
    onTestFinished,
  }) => {
    const { path, make, journals } = setup(onTestFinished);
    // a delay no test outlasts: what gets fsynced here is what the next group carries
    const j = await FileJournal.open(path, { syncDelayMs: 60_000 });
    journals.push(j);
    const other = make(); // another reader of the same file: what a sentinel or `recover` sees
    const s0 = j.stats;
    const group = Array.from({ length: 10 }, () => sampleJournalEntry());
    await Promise.all(group.map((e) => j.begin(e)));
    expect(j.stats).toMatchObject({ fsyncs: s0.fsyncs + 1, writes: s0.writes + 1 });

    // receipts: one write, read by every reader once the calls resolve, and no fsync waited for
    await Promise.all(group.map((e) => j.update(e.id, { state: 'active', receipt: { id: e.id } })));
    expect(j.stats).toMatchObject({ fsyncs: s0.fsyncs + 1, writes: s0.writes + 2 });
    for (const e of group)
      expect(await other.get(e.id)).toMatchObject({ state: 'active', receipt: { id: e.id } });
    await Promise.all(group.map((e) => j.update(e.id, { state: 'reverting', revertAttempts: 1 })));
    await Promise.all(group.map((e) => j.update(e.id, { state: 'reverted' })));
    expect(j.stats).toMatchObject({ fsyncs: s0.fsyncs + 1, writes: s0.writes + 4 });
    expect(await other.pending()).toEqual([]);

    // the next begin's one fsync makes them durable too; close() then has nothing left to sync
    await j.begin(sampleJournalEntry());
    expect(j.stats.fsyncs - s0.fsyncs).toBe(2);
    await j.close();
    expect(j.stats.fsyncs - s0.fsyncs).toBe(2);
  });

  it('a write no group follows is fsynced in the background within syncDelayMs; close() waits for it', async ({
    onTestFinished,
    expect, // the test's own: expect.poll in a concurrent suite needs it
  }) => {
    const { path, journals } = setup(onTestFinished);
    const j = await FileJournal.open(path, { syncDelayMs: 5 });
    journals.push(j);
    const e = sampleJournalEntry();
    await j.begin(e);
    const s0 = j.stats;
    await j.update(e.id, { state: 'active', receipt: {} });
    expect(j.stats.fsyncs).toBe(s0.fsyncs);
    await expect.poll(() => j.stats.fsyncs, { timeout: 5000, interval: 2 }).toBe(s0.fsyncs + 1);
    // one more, then close at once: close() waits for the background fsync or does it itself
    await j.update(e.id, { state: 'reverted' });
    await j.close();
    expect(j.stats.fsyncs).toBe(s0.fsyncs + 2);
  });

  it('revert_failed and manual commands are fsynced before update() resolves', async ({ onTestFinished }) => {
    const { path, journals } = setup(onTestFinished);
    const j = await FileJournal.open(path);
    journals.push(j);
    const e = sampleJournalEntry();
    await j.begin(e);
    const before = j.stats.fsyncs;
    await j.update(e.id, {
      state: 'revert_failed',
      error: { code: 'FL_REVERT', message: 'busy' },
      manual: 'nft delete table inet x',
    });
    expect(j.stats.fsyncs).toBe(before + 1);
  });

  it('compaction keeps every pending entry and drops reverted ones, atomically', async ({
    onTestFinished,
  }) => {
    const { dir, make, lines } = setup(onTestFinished);
    const j = make();
    const [a, b, c] = [sampleJournalEntry(), sampleJournalEntry(), sampleJournalEntry()];
    for (const e of [a, b, c]) await j.begin(e);
    await j.update(a.id, { state: 'active', receipt: { n: 1 } });
    for (const state of ['reverting', 'reverted'] as const) await j.update(b.id, { state });
    await j.update(c.id, { state: 'revert_failed', manual: 'rm /tmp/x' });
    const before = await j.pending();

    // reverted a moment ago: kept by default, so a late duplicate revert still finds it
    expect(await j.compact()).toEqual({ dropped: 0 });
    expect((await j.get(b.id))?.state).toBe('reverted');

    expect(await j.compact({ keepRevertedMs: 0 })).toEqual({ dropped: 1 });
    expect(j.stats.compactions).toBe(2); // the first one still folded the updates into their entries
    expect(lines()).toHaveLength(2);
    expect(lines().every((l) => JSON.parse(l).op === 'begin')).toBe(true);
    expect(await j.pending()).toEqual(before);
    expect(await j.get(b.id)).toBeUndefined();
    expect(readdirSync(dir).sort()).toEqual(['journal.jsonl', 'journal.jsonl.reserve']);

    // appends after a compaction land in the new file, and another instance follows the rename
    const d = sampleJournalEntry();
    await make().begin(d);
    expect((await j.pending()).map((e) => e.id)).toEqual([a.id, c.id, d.id]);
  });

  it('compacts on open and every compactEvery appends', async ({ onTestFinished }) => {
    const { path, make, lines, journals } = setup(onTestFinished);
    const w = make({ compactEvery: 0 });
    const entries = Array.from({ length: 4 }, () => sampleJournalEntry());
    for (const e of entries) await w.begin(e);
    for (const e of entries.slice(0, 3)) await w.update(e.id, { state: 'reverted' });
    expect(lines()).toHaveLength(7);

    const opened = await FileJournal.open(path, { keepRevertedMs: 0 });
    journals.push(opened);
    expect(lines()).toHaveLength(1);

    const auto = make({ compactEvery: 5, keepRevertedMs: 0 });
    const more = Array.from({ length: 3 }, () => sampleJournalEntry());
    for (const e of more) await auto.begin(e);
    for (const e of more) await auto.update(e.id, { state: 'reverted' }); // the 5th append compacts
    await auto.close();
    // compacted after the 5th append (more[0], more[1] dropped); the 6th was appended after it
    expect(lines().map((l) => JSON.parse(l).entry?.id ?? JSON.parse(l).id)).toEqual([
      entries[3]?.id,
      more[2]?.id,
      more[2]?.id,
    ]);
    expect(auto.stats.compactions).toBe(1);
  });

  it('a bad call in a group fails alone: the others are committed', async ({ onTestFinished }) => {
    const { path, journals } = setup(onTestFinished);
    const j = await FileJournal.open(path);
    journals.push(j);
    const known = sampleJournalEntry();
    await j.begin(known);
    const good = [sampleJournalEntry(), sampleJournalEntry()];
    const outcomes = await Promise.allSettled([
      j.begin(good[0] as JournalEntry),
      j.begin({ ...known }), // duplicate id
      j.update('no:such:id', { state: 'reverted' }),
      j.begin(sampleJournalEntry({ tunables: { big: 1n } as never })), // not JSON
      j.begin(good[1] as JournalEntry),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual([
      'fulfilled',
      'rejected',
      'rejected',
      'rejected',
      'fulfilled',
    ]);
    for (const o of outcomes)
      if (o.status === 'rejected') expect(isFaultlineError(o.reason, 'FL_JOURNAL')).toBe(true);
    expect((await j.pending()).map((e) => e.id)).toEqual([known.id, good[0]?.id, good[1]?.id]);
  });

  it('creates its directory with mode 0700 and its file with 0600', async ({ onTestFinished }) => {
    const { dir, journals } = setup(onTestFinished);
    const path = join(dir, 'a', 'b', 'journal.jsonl');
    const j = await FileJournal.open(path);
    journals.push(j);
    await j.begin(sampleJournalEntry());
    expect(statSync(join(dir, 'a', 'b')).mode & 0o777).toBe(0o700);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('fails with FL_JOURNAL, naming the path and what to do, when the journal cannot be created', async ({
    onTestFinished,
  }) => {
    const { dir, make, journals } = setup(onTestFinished);
    writeFileSync(join(dir, 'not-a-dir'), '');
    const j = new FileJournal(join(dir, 'not-a-dir', 'journal.jsonl'));
    journals.push(j);
    const err = await j.begin(sampleJournalEntry()).catch((e: unknown) => e);
    expect(isFaultlineError(err, 'FL_JOURNAL')).toBe(true);
    expect((err as Error).message).toMatch(
      /state dir .*not-a-dir cannot be a directory: a file is there\. Move that file away, or choose another state dir/,
    );
    // an existing journal works as before
    await make().begin(sampleJournalEntry());
  });
});
