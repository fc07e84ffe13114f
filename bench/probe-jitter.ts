// Scheduling jitter of a Continuous probe at a 100 ms polling interval, idle and with every CPU
// saturated by stress-ng. Run: npx tsx --conditions=@faultline/source bench/probe-jitter.ts
//
// Lateness = when the tick ran − when it was due on the grid. Variants, run side by side in the
// same window (they are idle between ticks, so they barely disturb one another):
//   setInterval         node's own interval: the naive runner
//   every/main          @faultline/probes `every()` on the main event loop (drift-correcting grid)
//   every/worker        `every()` in a worker thread (own event loop: immune to a busy main loop)
//   every/worker nice-N the worker thread reniced (setpriority on its thread id; needs root)
import { execFileSync, spawn } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { every } from '@faultline/probes';

const PERIOD_MS = 100;
const WARMUP_MS = 500;

interface WorkerJob {
  durationMs: number;
  nice?: number;
  fifo?: number;
}

if (!isMainThread) {
  const job = workerData as WorkerJob;
  // /proc/thread-self → "<pid>/task/<tid>": setpriority / sched_setscheduler on a tid change only that thread
  const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  let applied = true;
  try {
    if (job.nice !== undefined) setPriority(tid, job.nice);
    if (job.fifo !== undefined)
      execFileSync('chrt', ['-f', '-p', String(job.fifo), String(tid)], { stdio: 'ignore' });
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

function measureMain(durationMs: number): Promise<{ interval: number[]; every: number[] }> {
  return new Promise((resolve) => {
    const start = performance.now();
    const interval: number[] = [];
    const grid: number[] = [];
    let k = 0;
    const iv = setInterval(() => {
      k++;
      const due = start + k * PERIOD_MS;
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

/** Starts a worker and resolves once it is loaded and its priority set; `go()` starts its ticker. */
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

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
}

async function round(durationMs: number): Promise<Record<string, number[]>> {
  const variants: [string, WorkerJob][] = [
    ['every/worker', { durationMs }],
    ['every/worker nice -10', { durationMs, nice: -10 }],
    ['every/worker SCHED_FIFO 10', { durationMs, fifo: 10 }],
  ];
  const workers = await Promise.all(variants.map(([, job]) => worker(job)));
  const [m, ...ws] = await Promise.all([measureMain(durationMs), ...workers.map((w) => w.go())]);
  const rows: Record<string, number[]> = { setInterval: m.interval, 'every/main': m.every };
  ws.forEach((w, i) => {
    rows[`${variants[i]![0]}${w.applied ? '' : ' (priority refused)'}`] = w.late;
  });
  return rows;
}

async function main() {
  const idle = await round(5_000);
  let stressed: Record<string, number[]> = {};
  let stressNote = '';
  try {
    execFileSync('stress-ng', ['--version'], { stdio: 'ignore' });
    // detached: its own process group, killed as a group if anything goes wrong
    const stress = spawn('stress-ng', ['--cpu', '0', '--cpu-load', '100', '--timeout', '10s', '--quiet'], {
      stdio: 'ignore',
      detached: true,
    });
    try {
      await new Promise((r) => setTimeout(r, 500)); // let the workers spin up
      stressed = await round(9_000);
    } finally {
      try {
        process.kill(-stress.pid!, 'SIGKILL');
      } catch {
        // already gone (its own --timeout)
      }
    }
  } catch (e) {
    stressNote = `(stress-ng unavailable: ${(e as Error).message})`;
  }
  const fmt = (n: number) => n.toFixed(2);
  console.log(
    `\nContinuous probe scheduling lateness, period ${PERIOD_MS} ms (ms; ${WARMUP_MS} ms warm-up dropped)\n`,
  );
  console.log('| load | scheduler | ticks | p50 | p99 | max |');
  console.log('|---|---|---:|---:|---:|---:|');
  for (const [load, rows] of [
    ['idle', idle],
    ['stress-ng --cpu 0 --cpu-load 100', stressed],
  ] as const) {
    for (const [name, xs] of Object.entries(rows)) {
      console.log(
        `| ${load} | ${name} | ${xs.length} | ${fmt(pct(xs, 50))} | ${fmt(pct(xs, 99))} | ${fmt(Math.max(...xs))} |`,
      );
    }
  }
  if (stressNote) console.log(stressNote);
}
