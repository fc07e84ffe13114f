// Runner overhead, measured against the floor that durability sets: one fsync on this disk.
//
//   npx tsx --conditions=@faultline/source bench/core-overhead.ts
//
// For 1, 10 and 100 no-op faults (serial steps, and one parallel group), the time from run() to
// run.finished minus the faults' own work (none: inject/revert/probe return at once), per fault, next to
// the durable journal writes a fault needs: its begin before inject and its receipt after it, each an
// append + fsync when written alone (the floor, measured here first). How the journal gets them to
// disk is its business: a receipt rides on the next fsync when one comes within 2 ms, a parallel
// group shares one fsync; the fsyncs it really did are counted too. Then abort → 10 active faults
// reverted.
import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createRuntime,
  experiment,
  type FaultInput,
  FileJournal,
  faultRef,
  type StepOptions,
} from '@faultline/core';
import { noop, pack } from './noop-pack.js';

const probes = [{ name: 'p', kind: 'bench/instant', mode: 'SOT' as const }];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p99 = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))]!;

const root = mkdtempSync(join(tmpdir(), 'faultline-bench-'));
try {
  // The floor: append one line and fsync, as the journal does, back to back. This disk's fsync
  // drifts (a shared VM: 0.12-0.17 ms from one minute to the next), so samples are taken between
  // the runs of each layout, and each layout is compared with the disk of its own minute.
  const fd = openSync(join(root, 'fsync-probe'), 'a');
  const allFsyncs: number[] = [];
  const sampleFsyncs = (into: number[], k: number) => {
    for (let i = 0; i < k; i++) {
      const t0 = performance.now();
      writeSync(fd, `{"op":"begin","i":${i}}\n`);
      fsyncSync(fd);
      const ms = performance.now() - t0;
      into.push(ms);
      allFsyncs.push(ms);
    }
  };

  const journal = await FileJournal.open(join(root, 'journal.jsonl'), { compactEvery: 0 });
  const rt = await createRuntime({ packs: [pack], stateDir: root, journal, eventLog: false, recover: false });
  const ref = faultRef(noop, {});
  const step = (i: number): [FaultInput, StepOptions] => [
    ref,
    { id: `n${i}`, duration: 0, healthCheck: false, probes },
  ];

  const build = (layout: 'serial' | 'parallel', n: number) => {
    // a parallel group injects all its faults at once (concurrency n), so its journal writes share fsyncs
    let b = experiment(`bench ${n}`).concurrency(n);
    if (layout === 'serial') for (let i = 0; i < n; i++) b = b.fault(...step(i));
    else b = b.parallel(...Array.from({ length: n }, (_, i) => step(i)));
    return b.build();
  };
  // Each layout runs back to back with itself: its own warm-up runs first (the JIT, the sentinel, the
  // disk), then the measured ones. So a run's first fsync carries what the run before it left for the
  // journal to sync (its receipts and revert progress): one run's worth, as in a steady stream.
  const configs = (['serial', 'parallel'] as const).flatMap((layout) =>
    [1, 10, 100].map((n) => ({
      layout,
      n,
      spec: build(layout, n),
      times: [] as number[],
      fsyncs: [] as number[],
      syncs: 0,
      reps: 0,
    })),
  );
  // and first of all, 2 s of mixed runs: the sentinel this runtime starts takes about half a second to
  // load from TypeScript source, on a core the runs share
  const warmUntil = performance.now() + 2000;
  while (performance.now() < warmUntil) for (const c of configs) await rt.run(c.spec).result;
  for (const c of configs) {
    c.reps = c.n === 100 ? 21 : 201;
    const warmup = c.n === 100 ? 5 : 50;
    for (let r = 0; r < warmup + c.reps; r++) {
      if (r >= warmup) sampleFsyncs(c.fsyncs, c.n === 100 ? 15 : 2);
      const before = journal.stats.fsyncs;
      const t0 = performance.now();
      const result = await rt.run(c.spec).result;
      const ms = performance.now() - t0;
      if (result.verdict !== 'Pass') throw new Error(`bench run ended ${result.verdict}`);
      if (r >= warmup) {
        c.times.push(ms);
        c.syncs += journal.stats.fsyncs - before;
      }
    }
  }
  // what the same append + fsync costs when the disk has been idle 5 ms, as a run's first one is
  const afterPause: number[] = [];
  for (let i = 0; i < 100; i++) {
    await sleep(5);
    const t0 = performance.now();
    writeSync(fd, `{"op":"begin","i":${i}}\n`);
    fsyncSync(fd);
    afterPause.push(performance.now() - t0);
  }
  closeSync(fd);
  const fsyncMs = median(allFsyncs);
  const floorOf = (c: (typeof configs)[number]) => 2 * median(c.fsyncs);
  const rows = configs.map((c) => {
    const perFault = median(c.times) / c.n;
    const floor = floorOf(c);
    return [
      c.layout,
      String(c.n),
      median(c.times).toFixed(2),
      perFault.toFixed(3),
      (c.syncs / c.reps / c.n).toFixed(2),
      floor.toFixed(3),
      (perFault / floor).toFixed(2),
    ];
  });

  // abort → 10 active faults reverted
  const aborts: number[] = [];
  for (let r = 0; r < 22; r++) {
    const spec = experiment('abort')
      .concurrency(10)
      .parallel(
        ...Array.from({ length: 10 }, (_, i): [FaultInput, StepOptions] => [
          ref,
          { id: `a${i}`, duration: '1m', healthCheck: false, probes },
        ]),
      )
      .build();
    const run = rt.run(spec);
    let injected = 0;
    const ready = new Promise<void>((resolve) =>
      run.events.on('fault.injected', () => ++injected === 10 && resolve()),
    );
    await ready;
    const t0 = performance.now();
    run.abort('bench');
    const result = await run.result;
    if (result.reverts.length !== 10 || result.reverts.some((x) => !x.ok))
      throw new Error('abort did not revert all 10');
    if (r >= 2) aborts.push(performance.now() - t0);
  }
  await rt.close();

  console.log(
    `\nfsync on this disk (append + fsync, back to back; median of the ${allFsyncs.length} samples taken between runs): ${fsyncMs.toFixed(3)} ms` +
      `; after 5 ms idle: ${median(afterPause).toFixed(3)} ms\n`,
  );
  console.log(
    '| layout | faults | run() → finished, ms (median) | per fault, ms | fsyncs done per fault | floor: 2 durable writes, ms | ratio (target ≤ 1.5) |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  // A run's time is a fixed part (validation, plan, events, result) plus a part per fault: the slope
  // from 1 to 100 serial faults is what each more fault costs, the rest is the run's own.
  const serialOf = (n: number) => configs.find((c) => c.layout === 'serial' && c.n === n)!;
  const serial = (n: number) => median(serialOf(n).times);
  const slope = (serial(100) - serial(1)) / 99;
  const floor = floorOf(serialOf(100));
  console.log(
    `\neach more serial fault (slope from 1 to 100 faults): ${slope.toFixed(3)} ms = ${(slope / floor).toFixed(2)}× ` +
      `the 2 durable writes it needs (target ≤ 1.5); the run's own fixed part: ${(serial(1) - slope).toFixed(3)} ms`,
  );
  console.log(`\n| abort → 10 active faults reverted | median ms | p99 ms | target |`);
  console.log('|---|---:|---:|---:|');
  console.log(
    `| parallel group of 10 no-op faults | ${median(aborts).toFixed(2)} | ${p99(aborts).toFixed(2)} | < 50 |`,
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
