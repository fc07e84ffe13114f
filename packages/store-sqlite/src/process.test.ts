import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FaultlineEvent } from '@faultline/core';
import { describe, expect, it } from 'vitest';
import { testDir } from '../test/helpers.js';
import { sqliteStore } from './store.js';

const repo = fileURLToPath(new URL('../../..', import.meta.url));
const writerScript = fileURLToPath(new URL('../test/fixtures/writer.ts', import.meta.url));
const readerScript = fileURLToPath(new URL('../test/fixtures/reader.mjs', import.meta.url));

/** Spawns a node child from the repo root; `lines` collects its stdout lines as they come. */
function start(args: string[]): {
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
  stderr: () => string;
} {
  const child = spawn(process.execPath, args, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let buf = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop() ?? '';
    lines.push(...parts);
  });
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, lines, exited, stderr: () => err };
}

const writer = (file: string, runId: string, batches: number, size: number, pauseMs: number) =>
  start([
    '--import',
    'tsx',
    '--conditions=@faultline/source',
    writerScript,
    file,
    runId,
    String(batches),
    String(size),
    String(pauseMs),
  ]);

async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe.concurrent('two processes, one database', () => {
  it('a reader process and a viewer see a growing, gap-free history while the writer process writes', async ({
    onTestFinished,
  }) => {
    const t = testDir(onTestFinished);
    const w = writer(t.file(), 'xp', 30, 200, 15);
    try {
      await until(() => w.lines.length > 0, 20_000, 'the first batch');
      const r = start([readerScript, t.file(), 'xp', '20000']);
      const viewer = sqliteStore(t.file(), { readonly: true });
      try {
        const seen: FaultlineEvent[] = [];
        for await (const ev of viewer.replay('xp', { follow: true, pollMs: 10 })) seen.push(ev);
        expect(await w.exited).toBe(0);
        expect(await r.exited).toBe(0);
        const [status, snapshots, last, distinct] = (r.lines.at(-1) ?? '').split(' ');
        expect(status, r.lines.join('\n') + r.stderr()).toBe('ok');
        expect(Number(last)).toBe(30 * 200 + 1);
        // it really read while the writer wrote: it saw the history at several lengths
        expect(Number(snapshots)).toBeGreaterThan(3);
        expect(Number(distinct)).toBeGreaterThan(3);
        expect(seen.map((e) => e.seq)).toEqual(Array.from({ length: 30 * 200 + 1 }, (_, i) => i + 1));
        expect(seen.at(-1)?.type).toBe('run.finished');
      } finally {
        await viewer.close();
        r.child.kill('SIGKILL');
      }
    } finally {
      w.child.kill('SIGKILL');
    }
  });

  it("two writer processes on one file (a host and a recover) both commit everything, waiting on each other's lock", async ({
    onTestFinished,
  }) => {
    const t = testDir(onTestFinished);
    const a = writer(t.file(), 'wa', 40, 300, 0);
    const b = writer(t.file(), 'wb', 40, 300, 0);
    try {
      expect(await a.exited, a.stderr()).toBe(0);
      expect(await b.exited, b.stderr()).toBe(0);
    } finally {
      a.child.kill('SIGKILL');
      b.child.kill('SIGKILL');
    }
    const store = sqliteStore(t.file(), { readonly: true });
    try {
      for (const runId of ['wa', 'wb']) {
        expect((await store.events(runId)).map((e) => e.seq)).toEqual(
          Array.from({ length: 40 * 300 + 1 }, (_, i) => i + 1),
        );
        expect((await store.run(runId))?.verdict).toBe('Pass');
      }
      expect((await store.pendingEntries()).length).toBe(2 * 40 * 3);
    } finally {
      await store.close();
    }
  });

  it('kill -9 of a writer mid-batch loses nothing acknowledged; the next open recovers and writes on', async ({
    onTestFinished,
  }) => {
    const t = testDir(onTestFinished);
    const w = writer(t.file(), 'k9', 100_000, 500, 0);
    let acked = 0;
    let ackedEntries = 0;
    try {
      await until(() => w.lines.length >= 15, 30_000, '15 acknowledged batches');
    } finally {
      w.child.kill('SIGKILL');
      await w.exited;
      // every line the parent has is acknowledged; read them only once the writer is dead
      for (const line of w.lines) {
        const [tag, seq, entries] = line.split(' ');
        if (tag === 'ack') [acked, ackedEntries] = [Number(seq), Number(entries)];
      }
    }
    expect(w.child.signalCode).toBe('SIGKILL');
    expect(acked).toBeGreaterThanOrEqual(15 * 500);

    // the next open (a writer: WAL recovery runs) has every acknowledged event and entry
    const store = sqliteStore(t.file());
    try {
      const events = await store.events('k9');
      expect(events.length).toBeGreaterThanOrEqual(acked);
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: events.length }, (_, i) => i + 1));
      const pending = await store.pendingEntries();
      expect(pending.length).toBeGreaterThanOrEqual(ackedEntries);
      // and it carries on: the run can be finished by whoever recovers it
      const next = events.length + 1;
      store.event({
        type: 'log',
        level: 'warn',
        message: 'writer died; recovered',
        seq: next,
        ts: new Date().toISOString(),
        runId: 'k9',
      });
      await store.flush();
      expect((await store.events('k9', { fromSeq: next })).map((e) => e.seq)).toEqual([next]);
    } finally {
      await store.close();
    }
  });
});
