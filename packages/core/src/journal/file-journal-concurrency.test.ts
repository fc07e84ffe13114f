import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, type TestContext } from 'vitest';
import { isFaultlineError } from '../errors.js';
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

/** Every line of the file parses; returns the records. */
function records(path: string): { op: string; id?: string; entry?: { id: string } }[] {
  const text = readFileSync(path, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text
    .split('\n')
    .slice(0, -1)
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
// begins and updates `count` entries in parallel groups of 10 (each group one write + one fsync)
const CHILD = `
import { FileJournal } from ${JSON.stringify(fileJournalTs)};
const [path, tag, count] = process.argv.slice(2);
const j = await FileJournal.open(path, { onWarning: (m) => console.error('WARN', m) });
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
}
await j.close();
process.stdout.write(JSON.stringify(j.stats) + '\\n');
`;

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

  it('two processes appending 200 entries each at once: file intact, 400 entries', async ({
    onTestFinished,
  }) => {
    const { dir, path, open, children } = setup(onTestFinished);
    const script = join(dir, 'writer.mts');
    writeFileSync(script, CHILD);
    const runs = ['procA', 'procB'].map((tag) => {
      const child = spawn(process.execPath, ['--import', 'tsx', script, path, tag, '200'], { cwd: repoRoot });
      children.push(child);
      let out = '';
      let err = '';
      child.stdout?.on('data', (d) => {
        out += d;
      });
      child.stderr?.on('data', (d) => {
        err += d;
      });
      const ready = new Promise<void>((resolve) => {
        const check = () => out.includes('ready\n') && resolve();
        child.stdout?.on('data', check);
      });
      return { child, ready, done: exited(child, () => err), out: () => out, err: () => err };
    });
    await Promise.all(runs.map((r) => r.ready));
    for (const r of runs) r.child.stdin?.end('go\n');
    await Promise.all(runs.map((r) => r.done));

    for (const r of runs) {
      expect(r.err()).toBe('');
      // groups really were committed together: 20 groups of 10 begins + 10 receipts
      const stats = JSON.parse(r.out().split('\n')[1] as string);
      expect(stats.fsyncs).toBeLessThanOrEqual(45);
    }
    const recs = records(path);
    expect(recs.filter((r) => r.op === 'begin')).toHaveLength(400);
    expect(recs.filter((r) => r.op === 'update')).toHaveLength(400);
    const pending = await (await open()).pending();
    expect(pending).toHaveLength(400);
    expect(new Set(pending.map((e) => e.id)).size).toBe(400);
    expect(pending.every((e) => e.state === 'active' && (e.receipt as { by: string }).by === e.runId)).toBe(
      true,
    );
  }, 60_000);

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
