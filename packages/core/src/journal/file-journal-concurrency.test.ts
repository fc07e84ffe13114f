import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, type TestContext } from 'vitest';
import { isFaultlineError } from '../errors.js';
import type { JournalEntry } from '../journal.js';
import { nodePlatform, readProcStat } from '../platform.js';
import { sampleJournalEntry } from '../testing/journal-contract.js';
import { defaultJournalPath, FileJournal } from './file-journal.js';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const fileJournalTs = fileURLToPath(new URL('./file-journal.ts', import.meta.url));

function setup(onTestFinished: TestContext['onTestFinished']) {
  const dir = mkdtempSync(join(tmpdir(), 'fltA-conc-'));
  const journals: FileJournal[] = [];
  const children: ChildProcess[] = [];
  onTestFinished(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const j of journals) await j.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const path = defaultJournalPath(dir);
  const warnings: string[] = [];
  const open = async () => {
    const j = await FileJournal.open(path, { onWarning: (m) => warnings.push(m) });
    journals.push(j);
    return j;
  };
  return { dir, path, warnings, open, children };
}

/**
 * Every line of the file parses; returns the records. Blank lines may occur: a writer that read
 * the end of the file while another's write was still landing ends that "torn" line first.
 */
function records(path: string): { op: string; id?: string; entry?: { id: string } }[] {
  const text = readFileSync(path, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));
}

/** Waits for a child's exit; its stderr in the error when it fails. */
function exited(child: ChildProcess, stderr: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`child exited ${code ?? signal}: ${stderr()}`)),
    );
  });
}

// a writer in its own process: opens the journal, says "ready", waits for "go" on stdin, then
// begins `count` entries in parallel groups of 10 (each group one write + one fsync), sets their
// receipts, and reverts every third one
const CHILD = `
import { FileJournal } from ${JSON.stringify(fileJournalTs)};
const [path, tag, count, compactEvery] = process.argv.slice(2);
const j = await FileJournal.open(path, { onWarning: (m) => console.error('WARN', m), compactEvery: Number(compactEvery), keepRevertedMs: 0 });
process.stdout.write('ready\\n');
await new Promise((r) => process.stdin.once('data', r));
process.stdin.destroy(); // else the open pipe keeps this process alive
const at = new Date().toISOString();
const entry = (id) => ({ id, runId: tag, stepId: 's', iteration: 0, kind: 'test/noop', pack: 'p', tunables: {},
  objectName: 'o', state: 'injecting', bootId: 'b', pid: process.pid, pidStart: '1', createdAt: at, updatedAt: at });
for (let i = 0; i < Number(count); i += 10) {
  const ids = Array.from({ length: 10 }, (_, k) => tag + ':' + (i + k));
  await Promise.all(ids.map((id) => j.begin(entry(id))));
  await Promise.all(ids.map((id) => j.update(id, { state: 'active', receipt: { by: tag } })));
  const reverted = ids.filter((_, k) => (i + k) % 3 === 0);
  await Promise.all(reverted.map((id) => j.update(id, { state: 'reverting' })));
  await Promise.all(reverted.map((id) => j.update(id, { state: 'reverted' })));
}
await j.close();
process.stdout.write(JSON.stringify(j.stats) + '\\n');
`;

/** Runs two writer processes at once on one journal; returns their stats. */
async function twoWriters(dir: string, path: string, children: ChildProcess[], compactEvery: number) {
  const script = join(dir, 'writer.mts');
  writeFileSync(script, CHILD);
  const runs = ['procA', 'procB'].map((tag) => {
    const args = ['--import', 'tsx', script, path, tag, '200', String(compactEvery)];
    const child = spawn(process.execPath, args, { cwd: repoRoot });
    children.push(child);
    let out = '';
    let err = '';
    const ready = new Promise<void>((resolve) => {
      child.stdout?.on('data', (d) => {
        out += d;
        if (out.includes('ready\n')) resolve();
      });
    });
    child.stderr?.on('data', (d) => {
      err += d;
    });
    return { child, ready, done: exited(child, () => err), out: () => out, err: () => err };
  });
  await Promise.all(runs.map((r) => r.ready));
  for (const r of runs) r.child.stdin?.end('go\n');
  await Promise.all(runs.map((r) => r.done));
  return runs.map((r) => {
    expect(r.err()).toBe('');
    return JSON.parse(r.out().split('\n')[1] as string) as { fsyncs: number; compactions: number };
  });
}

/** What two writers leave: every entry not reverted, active with its own receipt. */
function expectWritersResult(pending: JournalEntry[]): void {
  // 200 each, minus every third (67) reverted
  expect(pending).toHaveLength(2 * (200 - 67));
  expect(new Set(pending.map((e) => e.id)).size).toBe(pending.length);
  for (const e of pending) {
    expect(Number(e.id.split(':')[1]) % 3).not.toBe(0);
    expect(e).toMatchObject({ state: 'active', receipt: { by: e.runId } });
  }
}

describe.concurrent('FileJournal with several writers', () => {
  it('two instances on one file, 200 concurrent entries each: all intact', async ({ onTestFinished }) => {
    const { path, warnings, open } = setup(onTestFinished);
    const [a, b] = [await open(), await open()];
    const ea = Array.from({ length: 200 }, () => sampleJournalEntry());
    const eb = Array.from({ length: 200 }, () => sampleJournalEntry());
    await Promise.all([...ea.map((e) => a.begin(e)), ...eb.map((e) => b.begin(e))]);
    // cross updates: each instance updates entries the other one began
    await Promise.all([
      ...ea.map((e) => b.update(e.id, { state: 'active' })),
      ...eb.map((e) => a.update(e.id, { state: 'active' })),
    ]);
    for (const j of [a, b]) {
      const pending = await j.pending();
      expect(pending).toHaveLength(400);
      expect(pending.every((e) => e.state === 'active')).toBe(true);
    }
    expect(records(path)).toHaveLength(800);
    expect(warnings).toEqual([]);
  });

  it('two processes appending 200 entries each at once: file intact, all entries', async ({
    onTestFinished,
  }) => {
    const { dir, path, open, children } = setup(onTestFinished);
    const stats = await twoWriters(dir, path, children, 0);
    // groups really were committed together: per group of 10, one fsync for the begins and one for the receipts
    for (const s of stats) expect(s.fsyncs).toBeLessThanOrEqual(45);
    const recs = records(path);
    expect(recs.filter((r) => r.op === 'begin')).toHaveLength(400);
    expect(recs.filter((r) => r.op === 'update')).toHaveLength(400 + 4 * 67);
    const j = await open();
    expectWritersResult(await j.pending());
    expect((await j.get('procA:0'))?.state).toBe('reverted');
  }, 60_000);

  it('two processes appending while both compact every 5 appends: nothing lost', async ({
    onTestFinished,
  }) => {
    const { dir, path, open, children } = setup(onTestFinished);
    const stats = await twoWriters(dir, path, children, 5);
    expect(stats.every((s) => s.compactions > 5)).toBe(true);
    records(path); // parses
    expectWritersResult(await (await open()).pending());
  }, 60_000);

  it('one instance compacting in a loop while another appends: nothing lost', async ({ onTestFinished }) => {
    const { open, warnings } = setup(onTestFinished);
    const [compactor, writer] = [await open(), await open()];
    let done = false;
    const loop = (async () => {
      let n = 0;
      while (!done) {
        await compactor.compact({ keepRevertedMs: 0 });
        n++;
        // a compaction with nothing to rewrite never leaves the microtask queue: let the writer run
        await new Promise((r) => setImmediate(r));
      }
      return n;
    })();
    const entries = Array.from({ length: 200 }, () => sampleJournalEntry());
    for (let i = 0; i < entries.length; i += 10) {
      const group = entries.slice(i, i + 10);
      await Promise.all(group.map((e) => writer.begin(e)));
      await Promise.all(group.map((e) => writer.update(e.id, { state: 'active', receipt: { i } })));
      await Promise.all(group.slice(0, 3).map((e) => writer.update(e.id, { state: 'reverted' })));
    }
    done = true;
    expect(await loop).toBeGreaterThan(5);
    expect(compactor.stats.compactions).toBeGreaterThan(5);
    const pending = await writer.pending();
    expect(pending).toHaveLength(140);
    for (const e of pending) expect(e).toMatchObject({ state: 'active', receipt: {} });
    expect(warnings).toEqual([]);
  }, 60_000);

  it('a reader reads afresh a file compaction renamed in, even when it has the inode number of the one it read', async ({
    onTestFinished,
  }) => {
    const { path, warnings, open } = setup(onTestFinished);
    const [reader, writer] = [await open(), await open()];
    const first = sampleJournalEntry();
    await writer.begin(first);
    const kept = [first];
    // each round leaves the file longer and changes its first line: a read that went on at the
    // old offset in a new file would skip entries, keep a stale state and start mid-line
    const round = async (i: number) => {
      const e = sampleJournalEntry();
      const gone = sampleJournalEntry();
      await writer.begin(e);
      await writer.begin(gone);
      await writer.update(gone.id, { state: 'reverted' });
      await writer.update(first.id, { state: 'active', receipt: { round: i } });
      kept.push(e);
    };
    await round(0);
    expect(await reader.pending()).toHaveLength(2);
    const folded = statSync(path).ino;
    // each compaction frees the file it replaces, and ext4 gives a freed inode number to the next
    // file it creates: within a round or two the path names a new file with the number the reader
    // folded, unless the reader holds that file (where numbers are not reused at once, this checks less)
    for (let i = 1; i <= 10; i++) {
      await round(i);
      expect((await writer.compact({ keepRevertedMs: 0 })).dropped).toBeGreaterThan(0); // rewritten
      if (statSync(path).ino === folded) break;
    }
    expect(await reader.pending()).toEqual(await writer.pending());
    expect((await reader.pending()).map((e) => e.id)).toEqual(kept.map((e) => e.id));
    expect(warnings).toEqual([]);
  });

  it('takes over a lock left by a dead process, a recycled pid or an older boot', async ({
    onTestFinished,
  }) => {
    const { path, open } = setup(onTestFinished);
    const j = await open();
    const dead = spawn(process.execPath, ['-e', '']);
    const deadPid = dead.pid as number;
    await new Promise((r) => dead.once('exit', r));
    const me = readProcStat(process.pid)?.startTime;
    const boot = nodePlatform.bootId();
    for (const stale of [
      `${deadPid} 123 ${boot}\n`,
      `${process.pid} 1${me} ${boot}\n`,
      `${process.pid} ${me} other-boot\n`,
    ]) {
      writeFileSync(`${path}.lock`, stale);
      const e = sampleJournalEntry();
      await j.begin(e);
      expect(await j.get(e.id)).toEqual(e);
      expect(existsSync(`${path}.lock`)).toBe(false);
    }
    // a crash between creating the lock file and writing it leaves it empty: stale once it is old
    writeFileSync(`${path}.lock`, '');
    utimesSync(`${path}.lock`, new Date(Date.now() - 10_000), new Date(Date.now() - 10_000));
    await j.begin(sampleJournalEntry());
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it('waits for a live holder, then fails with FL_JOURNAL naming its pid; goes on once it is gone', async ({
    onTestFinished,
  }) => {
    const { path, children } = setup(onTestFinished);
    const j = new FileJournal(path, { lockTimeoutMs: 400 });
    onTestFinished(() => j.close());
    await j.begin(sampleJournalEntry());
    const holder = spawn('sleep', ['30']);
    children.push(holder);
    await new Promise((r) => holder.once('spawn', r));
    const pid = holder.pid as number;
    writeFileSync(`${path}.lock`, `${pid} ${readProcStat(pid)?.startTime} ${nodePlatform.bootId()}\n`);

    const t0 = Date.now();
    const err = await j.begin(sampleJournalEntry()).catch((e: unknown) => e);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(400);
    expect(isFaultlineError(err, 'FL_JOURNAL')).toBe(true);
    expect((err as Error).message).toContain(`held by pid ${pid} for more than 0.4 s`);
    expect(existsSync(`${path}.lock`)).toBe(true); // a live holder's lock is never touched

    holder.kill('SIGKILL');
    await new Promise((r) => holder.once('exit', r));
    const e = sampleJournalEntry();
    await j.begin(e);
    expect((await j.pending()).map((p) => p.id)).toContain(e.id);
  });
});
