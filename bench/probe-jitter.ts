// Scheduling jitter of a Continuous probe at a 100 ms polling interval, idle and with every CPU
// saturated by stress-ng (started here, detached: its own session, so its own autogroup, as
// @faultline/faults-linux starts it). Run:
//   npx tsx --conditions=@faultline/source bench/probe-jitter.ts
//
// Lateness = when the probe (tick) started − when it was due on its grid. Rows, measured side by
// side in the same window (they are idle between ticks and barely disturb one another):
//   core runner              a real experiment: a Continuous probe polled by @faultline/core's runner
//   setInterval              node's own interval (drift accumulates: each tick is late by the sum)
//   every/main               bench/lib `every()` on the main event loop (fixed grid, 1 ms early wake)
//   every/worker             `every()` in a worker thread (own event loop)
//   every/worker nice -10    that thread reniced: nice ranks only inside one autogroup, so it cannot beat
//                            a stressor in another session
//   every/worker SCHED_FIFO  that thread made real-time with `chrt -f 10` (needs root / CAP_SYS_NICE)
// A last stressed round runs the core runner with createRuntime({ realtime: true }) (the main thread
// SCHED_FIFO while the run is active) and measures it and every/main again.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import {
  createRuntime,
  defineFault,
  definePack,
  defineProbe,
  experiment,
  MemoryJournal,
} from '@faultline/core';
import * as v from 'valibot';
import { every } from './lib/schedule.js';
import { currentThreadId, makeThreadRealtime } from './lib/thread-priority.js';

const PERIOD_MS = 100;
const WARMUP_MS = 500;

interface WorkerJob {
  durationMs: number;
  nice?: number;
  fifo?: number;
}

if (!isMainThread) {
  const job = workerData as WorkerJob;
  let applied = true;
  try {
    if (job.nice !== undefined) setPriority(currentThreadId(), job.nice);
    if (job.fifo !== undefined) applied = (await makeThreadRealtime({ priority: job.fifo })).applied;
  } catch {
    applied = false;
  }
  parentPort!.once('message', () => {
    const late: number[] = [];
    const start = performance.now();
    const t = every(PERIOD_MS, (i) => {
      if (i.dueAt - start >= WARMUP_MS) late.push(i.lateMs);
    });
    setTimeout(() => {
      t.stop();
      parentPort!.postMessage({ late, applied });
    }, job.durationMs);
  });
  parentPort!.postMessage('ready');
} else {
  await main();
}

/** A worker, loaded and prioritised; `go()` runs its ticker and returns the lateness. */
async function worker(job: WorkerJob): Promise<{ go(): Promise<{ late: number[]; applied: boolean }> }> {
  // a worker does not inherit tsx's loader: it registers it itself, then loads this file
  const boot = `const { register } = await import('tsx/esm/api'); register(); await import(${JSON.stringify(import.meta.url)});`;
  const w = new Worker(boot, { eval: true, workerData: job, execArgv: process.execArgv });
  await new Promise((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
  return {
    go: () =>
      new Promise((resolve) => {
        w.once('message', (m) => {
          resolve(m);
          void w.terminate();
        });
        w.postMessage('go');
      }),
  };
}

/** setInterval and every() on the main loop. */
function mainLoop(durationMs: number): Promise<{ interval: number[]; every: number[] }> {
  return new Promise((resolve) => {
    const start = performance.now();
    const interval: number[] = [];
    const grid: number[] = [];
    let k = 0;
    const iv = setInterval(() => {
      const due = start + ++k * PERIOD_MS;
      if (due - start >= WARMUP_MS) interval.push(performance.now() - due);
    }, PERIOD_MS);
    const t = every(PERIOD_MS, (i) => {
      if (i.dueAt - start >= WARMUP_MS) grid.push(i.lateMs);
    });
    setTimeout(() => {
      clearInterval(iv);
      t.stop();
      resolve({ interval, every: grid });
    }, durationMs);
  });
}

/** A real experiment through core's runtime: a no-op fault and a Continuous probe that stamps its start. */
async function coreRunner(durationMs: number, realtime = false): Promise<number[]> {
  const stamps: number[] = [];
  const stamp = defineProbe({
    kind: 'bench/stamp',
    summary: 'records when it ran',
    tunables: v.object({}),
    async run() {
      stamps.push(performance.now());
      return { passed: true };
    },
  });
  const noop = defineFault({
    kind: 'bench/noop',
    summary: 'nothing',
    tunables: v.object({}),
    inject: async () => ({}),
    revert: async () => {},
    manual: () => 'nothing to do',
  });
  const dir = mkdtempSync(join(tmpdir(), 'fld-jitter-'));
  try {
    const rt = await createRuntime({
      packs: [definePack({ name: 'bench-jitter', faults: [noop], probes: [stamp] })],
      stateDir: dir,
      journal: new MemoryJournal(),
      eventLog: false,
      recover: false,
      realtime, // the runtime's own opt-in: its main thread SCHED_FIFO while the run is active
    });
    const spec = experiment('jitter')
      .fault(
        { kind: 'bench/noop', tunables: {} },
        {
          id: 'noop',
          duration: durationMs,
          healthCheck: false,
          probes: [
            {
              name: 'stamp',
              kind: 'bench/stamp',
              mode: 'Continuous',
              runProperties: { pollingInterval: PERIOD_MS },
            },
          ],
        },
      )
      .build();
    await rt.run(spec).result;
    await rt.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // core starts its grid at the first poll
  const t0 = stamps[0]!;
  return stamps
    .map((s, k) => ({ s, due: t0 + k * PERIOD_MS }))
    .filter((x) => x.due - t0 >= WARMUP_MS)
    .map((x) => x.s - x.due);
}

async function round(
  durationMs: number,
  workers: boolean,
  realtime = false,
): Promise<Record<string, number[]>> {
  const variants: [string, WorkerJob][] = workers
    ? [
        ['every/worker', { durationMs }],
        ['every/worker nice -10', { durationMs, nice: -10 }],
        ['every/worker SCHED_FIFO 10', { durationMs, fifo: 10 }],
      ]
    : [];
  const ready = await Promise.all(variants.map(([, job]) => worker(job)));
  const [core, m, ...ws] = await Promise.all([
    coreRunner(durationMs, realtime),
    mainLoop(durationMs),
    ...ready.map((w) => w.go()),
  ]);
  const rows: Record<string, number[]> = {
    'core runner': core,
    setInterval: m.interval,
    'every/main': m.every,
  };
  ws.forEach((w, i) => {
    rows[`${variants[i]![0]}${w.applied ? '' : ' (refused)'}`] = w.late;
  });
  return rows;
}

/** Runs `f` while stress-ng saturates every CPU (bounded by its own --timeout too). */
async function underStress<T>(f: () => Promise<T>): Promise<T> {
  const stress = spawn('stress-ng', ['--cpu', '0', '--cpu-load', '100', '--timeout', '10s', '--quiet'], {
    stdio: 'ignore',
    detached: true,
  });
  try {
    await new Promise((r) => setTimeout(r, 500)); // let the workers spin up
    return await f();
  } finally {
    try {
      process.kill(-stress.pid!, 'SIGKILL');
    } catch {
      // already gone (its own --timeout)
    }
  }
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
}

async function main() {
  execFileSync('stress-ng', ['--version'], { stdio: 'ignore' });
  const table: [string, Record<string, number[]>][] = [];
  table.push(['idle', await round(5_000, true)]);
  table.push(['stress', await underStress(() => round(9_000, true))]);
  // createRuntime({ realtime: true }) makes the main thread SCHED_FIFO for the run (every/main shares it)
  const fifoRows = await underStress(() => round(9_000, false, true));
  table.push([
    'stress, runtime realtime: true (main thread SCHED_FIFO 10)',
    { 'core runner': fifoRows['core runner']!, 'every/main': fifoRows['every/main']! },
  ]);
  const f = (n: number) => n.toFixed(2);
  console.log(
    `\nContinuous probe scheduling lateness at a ${PERIOD_MS} ms polling interval, in ms (${WARMUP_MS} ms warm-up dropped)`,
  );
  console.log('stress = stress-ng --cpu 0 --cpu-load 100 (every CPU), started detached\n');
  console.log('| load | scheduler | ticks | p50 | p99 | max |');
  console.log('|---|---|---:|---:|---:|---:|');
  for (const [load, rows] of table) {
    for (const [name, xs] of Object.entries(rows)) {
      console.log(
        `| ${load} | ${name} | ${xs.length} | ${f(pct(xs, 50))} | ${f(pct(xs, 99))} | ${f(Math.max(...xs))} |`,
      );
    }
  }
}
