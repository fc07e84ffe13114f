// The journal on a full disk, for real: a small tmpfs the test mounts and fills (root only).
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { describe, expect, it, type TestContext } from 'vitest';
import { isFaultlineError } from '../errors.js';
import { sampleJournalEntry } from '../testing/journal-contract.js';
import { canMount, mountSmallTmpfs } from '../testing/tmpfs.js';
import { defaultJournalPath, FileJournal, type FileJournalOptions } from './file-journal.js';

// the default reserve (reserve.ts), spelled out so this file also runs against a journal without one
const JOURNAL_RESERVE_BYTES = 1024 * 1024;

function setup(onTestFinished: TestContext['onTestFinished']) {
  const fs = mountSmallTmpfs(8);
  const journals: FileJournal[] = [];
  const warnings: string[] = [];
  onTestFinished(async () => {
    for (const j of journals) await j.close().catch(() => {});
    fs.unmount();
  });
  const path = defaultJournalPath(fs.path);
  const open = async (opts: FileJournalOptions = {}) => {
    const j = await FileJournal.open(path, { onWarning: (m) => warnings.push(m), ...opts });
    journals.push(j);
    return j;
  };
  const lines = () =>
    readFileSync(path, 'utf8')
      .split('\n')
      .filter((l) => l !== '');
  return { fs, path, open, warnings, lines };
}

describe.skipIf(!canMount)('FileJournal on a full disk', () => {
  it('records receipts and revert progress from its reserve, refuses new begins, and opens again at once with no lock left', async ({
    onTestFinished,
  }) => {
    const { fs, path, open, warnings, lines } = setup(onTestFinished);
    const j = await open();
    expect(statSync(`${path}.reserve`).size).toBe(JOURNAL_RESERVE_BYTES);
    const entries = Array.from({ length: 20 }, () => sampleJournalEntry());
    await Promise.all(entries.map((e) => j.begin(e)));
    fs.fill();
    expect(fs.free()).toBe(0);

    // what is already injected can still be recorded: receipts, then its revert
    await Promise.all(
      entries.map((e) => j.update(e.id, { state: 'active', receipt: { big: 'r'.repeat(2000) } })),
    );
    for (const state of ['reverting', 'reverted'] as const)
      await Promise.all(entries.map((e) => j.update(e.id, { state })));
    await j.update(entries[0]!.id, {
      state: 'revert_failed',
      error: { code: 'FL_REVERT', message: 'x' },
      manual: 'rm -rf /tmp/x',
    });
    expect(warnings.join('\n')).toMatch(/is full: \d+ bytes of the journal's reserve were given back/);
    expect(statSync(`${path}.reserve`).size).toBeLessThan(JOURNAL_RESERVE_BYTES);
    // nothing new is injected on a full disk
    const err = await j.begin(sampleJournalEntry()).catch((e: unknown) => e);
    expect(isFaultlineError(err, 'FL_JOURNAL')).toBe(true);
    expect((err as Error).message).toMatch(/full.*nothing new is injected/);

    // a fresh process (the sentinel, recover()) opens it on the full disk, without waiting on a lock
    const t0 = performance.now();
    const again = await open();
    expect(performance.now() - t0).toBeLessThan(1_000);
    expect((await again.pending()).map((e) => e.id)).toEqual([entries[0]!.id]);
    expect(existsSync(`${path}.lock`)).toBe(false);
    for (const l of lines()) expect(() => JSON.parse(l)).not.toThrow();
  });

  it('a write cut short by ENOSPC leaves no half line behind', async ({ onTestFinished }) => {
    const { fs, path, open, lines } = setup(onTestFinished);
    const j = await open({ reserveBytes: 0 });
    const e = sampleJournalEntry();
    await j.begin(e);
    fs.fill();
    // larger than the slack of the journal's last page: the write stops at the page's end
    const err = await j
      .update(e.id, { state: 'active', receipt: { big: 'x'.repeat(20_000) } })
      .catch((x) => x);
    expect(isFaultlineError(err, 'FL_JOURNAL')).toBe(true);
    expect((err as Error).message).toMatch(/filesystem is full and the journal's reserve is used up/);
    expect(readFileSync(path, 'utf8').endsWith('\n')).toBe(true);
    expect(lines().map((l) => JSON.parse(l).op)).toEqual(['begin']);
  });

  it('the reserve is made whole again once the disk has room', async ({ onTestFinished }) => {
    const { fs, path, open } = setup(onTestFinished);
    const j = await open();
    const e = sampleJournalEntry();
    await j.begin(e);
    const filler = fs.fill();
    await j.update(e.id, { state: 'active', receipt: { big: 'y'.repeat(10_000) } });
    expect(statSync(`${path}.reserve`).size).toBeLessThan(JOURNAL_RESERVE_BYTES);
    unlinkSync(filler);
    // refills are throttled to one a second
    await new Promise((r) => setTimeout(r, 1_100));
    await j.update(e.id, { state: 'reverting' });
    expect(statSync(`${path}.reserve`).size).toBe(JOURNAL_RESERVE_BYTES);
  });

  it('a compaction that cannot keep a damaged line aside leaves the journal as it is', async ({
    onTestFinished,
  }) => {
    const { fs, path, open, warnings } = setup(onTestFinished);
    const j = await open({ reserveBytes: 0 });
    const kept = sampleJournalEntry();
    const gone = sampleJournalEntry();
    await j.begin(kept);
    await j.begin(gone);
    await j.update(gone.id, { state: 'reverted' });
    await j.close();
    appendFileSync(path, '{"op":"begin","entry":{"id":"garbage\n');
    const before = readFileSync(path, 'utf8');
    fs.fill();
    const again = await open({ reserveBytes: 0, keepRevertedMs: 0 });
    expect(readFileSync(path, 'utf8')).toBe(before);
    expect(warnings.join('\n')).toMatch(/could not compact .* it is used as it is/);
    expect((await again.pending()).map((e) => e.id)).toEqual([kept.id]);
    expect(again.damage().lines).toEqual([
      expect.objectContaining({ line: 4, text: expect.stringContaining('garbage') }),
    ]);
  });

  it('a read-only state disk: the journal opens and reads, and a begin fails with that reason, not "full"', async ({
    onTestFinished,
  }) => {
    const { fs, path, open, warnings } = setup(onTestFinished);
    const j = await open({ reserveBytes: 0 }); // no reserve yet: it cannot be made on a read-only disk
    const e = sampleJournalEntry();
    await j.begin(e);
    await j.close();
    execFileSync('mount', ['-o', 'remount,ro', fs.path]);
    onTestFinished(() => void execFileSync('mount', ['-o', 'remount,rw', fs.path]));
    const again = await open();
    expect((await again.pending()).map((x) => x.id)).toEqual([e.id]);
    const err = await again.begin(sampleJournalEntry()).catch((x: unknown) => x);
    expect(isFaultlineError(err, 'FL_JOURNAL')).toBe(true);
    expect((err as Error).message).toMatch(/EROFS|read-only/);
    expect((err as Error).message).not.toMatch(/full/);
    expect(existsSync(`${path}.lock`)).toBe(false);
    expect(warnings.join('\n')).toMatch(/could not compact/);
    expect(warnings.join('\n')).toMatch(/could not make the journal's reserve .*read-only/);
  });

  it('opening on a full disk leaves no lock behind: once there is room, the next open does not wait for a stale one', async ({
    onTestFinished,
  }) => {
    const { fs, path, open } = setup(onTestFinished);
    const j = await open({ reserveBytes: 0 });
    const e = sampleJournalEntry();
    await j.begin(e);
    await j.update(e.id, { state: 'reverted' });
    await j.close();
    const filler = fs.fill();
    // opening compacts under the lock: on a full disk that cannot be written, and must leave nothing
    await FileJournal.open(path, { onWarning: () => {}, keepRevertedMs: 0, reserveBytes: 0 })
      .then((x) => x.close())
      .catch(() => {});
    expect(existsSync(`${path}.lock`), 'a lock left by the failed open').toBe(false);
    unlinkSync(filler);
    const t0 = performance.now();
    await (await FileJournal.open(path, { onWarning: () => {}, keepRevertedMs: 0 })).close();
    expect(performance.now() - t0).toBeLessThan(1_000);
  });
});
