// Runner overhead, measured against the floor that durability sets: one fsync on this disk.
//
//   npx tsx --conditions=@faultline/source bench/core-overhead.ts
//
// For 1, 10 and 100 no-op faults (serial steps, and one parallel group), the time from run() to
// run.finished minus the faults' own work (none: inject/revert/probe return at once), per fault, next to
// the durable journal writes a fault needs (a begin before inject and the receipt after it: 2 fsyncs;
// a parallel group shares them). Then abort → 10 active faults reverted.
import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createRuntime,
  defineFault,
  definePack,
  defineProbe,
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
  // the floor: append one line and fsync, as the journal does
  const fd = openSync(join(root, 'fsync-probe'), 'a');
  const fsyncs: number[] = [];
  for (let i = 0; i < 300; i++) {
    const t0 = performance.now();
    writeSync(fd, `{"op":"begin","i":${i}}\n`);
    fsyncSync(fd);
    fsyncs.push(performance.now() - t0);
  }
  closeSync(fd);
  const fsyncMs = median(fsyncs);

  const journal = await FileJournal.open(join(root, 'journal.jsonl'), { compactEvery: 0 });
  const rt = await createRuntime({ packs: [pack], stateDir: root, journal, eventLog: false, recover: false });
  const ref = faultRef(noop, {});
  const step = (i: number): [FaultInput, StepOptions] => [
    ref,
    { id: `n${i}`, duration: 0, healthCheck: false, probes },
  ];

  const rows: string[][] = [];
  for (const layout of ['serial', 'parallel'] as const) {
    for (const n of [1, 10, 100]) {
      const times: number[] = [];
      let syncs = 0;
      const reps = n === 100 ? 7 : 25;
      for (let r = 0; r < reps + 2; r++) {
        // a parallel group injects all its faults at once (concurrency n), so its journal writes share fsyncs
        let b = experiment(`bench ${n}`).concurrency(n);
        if (layout === 'serial') for (let i = 0; i < n; i++) b = b.fault(...step(i));
        else b = b.parallel(...Array.from({ length: n }, (_, i) => step(i)));
        const spec = b.build();
        const before = journal.stats.fsyncs;
        const t0 = performance.now();
        const result = await rt.run(spec).result;
        const ms = performance.now() - t0;
        if (result.verdict !== 'Pass') throw new Error(`bench run ended ${result.verdict}`);
        if (r >= 2) {
          times.push(ms);
          syncs += journal.stats.fsyncs - before;
        }
      }
      const perFault = median(times) / n;
      const syncsPerFault = syncs / reps / n;
      const floor = syncsPerFault * fsyncMs;
      rows.push([
        layout,
        String(n),
        median(times).toFixed(2),
        perFault.toFixed(3),
        syncsPerFault.toFixed(2),
        floor.toFixed(3),
        (perFault / floor).toFixed(2),
      ]);
    }
  }

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

  console.log(`\nfsync floor on this disk (append + fsync, median of 300): ${fsyncMs.toFixed(3)} ms\n`);
  console.log(
    '| layout | faults | run() → finished, ms (median) | per fault, ms | fsyncs per fault | durable-write floor per fault, ms | ratio (target ≤ 1.5) |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  console.log(`\n| abort → 10 active faults reverted | median ms | p99 ms | target |`);
  console.log('|---|---:|---:|---:|');
  console.log(
    `| parallel group of 10 no-op faults | ${median(aborts).toFixed(2)} | ${p99(aborts).toFixed(2)} | < 50 |`,
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
