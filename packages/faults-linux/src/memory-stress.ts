import { readFileSync } from 'node:fs';
import {
  defineFault,
  FaultlineError,
  parsePercent,
  parseSize,
  percentSchema,
  sizeSchema,
} from '@faultline/core';
import * as v from 'valibot';
import {
  maxDurationTunable,
  requireStress,
  type StressReceipt,
  startStress,
  stressCheck,
  stressUndo,
} from './host/stress.js';
import { exactlyOneSize, workersSchema } from './host/tunables.js';

const tunables = v.pipe(
  v.strictObject({
    /** Memory to hold, in total over all workers (`'512MiB'`). */
    size: v.optional(sizeSchema()),
    /** Or a percent of the memory available now (MemAvailable). */
    percent: v.optional(percentSchema()),
    /** Worker processes sharing the size. */
    workers: v.pipe(workersSchema(1), v.minValue(1)),
    /** Safety stop: stress-ng ends by itself after this even if nothing reverts it. */
    maxDuration: maxDurationTunable,
  }),
  exactlyOneSize(),
);

// What stress-ng's own processes (parent, per-worker [wait] and page tables) hold in the cgroup,
// measured with --vm-method write64: 1 worker ≈ 5.1-5.6 MiB, 2 workers ≈ 5.7-6.6 MiB. Subtracted
// from --vm-bytes so the cgroup holds the asked size, not the asked size plus stress-ng.
const BASE_OVERHEAD = 4.6 * 1024 * 1024;
const PER_WORKER_OVERHEAD = 0.7 * 1024 * 1024;

/** MemAvailable in bytes, from /proc/meminfo. */
export function memAvailable(): number {
  const m = readFileSync('/proc/meminfo', 'utf8').match(/^MemAvailable:\s+(\d+) kB/m);
  return m ? Number(m[1]) * 1024 : 0;
}

/** The bytes stress-ng is asked for (all workers together) so that the cgroup holds `target`. */
export function vmBytesFor(target: number, workers: number): number {
  const bytes = target - BASE_OVERHEAD - PER_WORKER_OVERHEAD * workers;
  return Math.max(4096 * workers, Math.round(bytes / 4096) * 4096);
}

/**
 * `linux/memory-stress`: stress-ng vm workers that allocate the size and keep it resident
 * (`--vm-keep`, write64 so the footprint stays flat), in a cgroup of their own.
 */
export const memoryStress = defineFault<typeof tunables, StressReceipt>({
  kind: 'linux/memory-stress',
  summary: 'Holds an amount of memory with stress-ng vm workers in a cgroup of their own',
  tunables,
  check: (ctx) => stressCheck(ctx.signal),
  async inject(ctx) {
    const t = ctx.tunables;
    await requireStress('linux/memory-stress', ctx.signal);
    const available = memAvailable();
    const target =
      t.size !== undefined ? parseSize(t.size) : Math.round((parsePercent(t.percent!) / 100) * available);
    if (target > available) {
      throw new FaultlineError(
        'FL_CAPABILITY',
        `linux/memory-stress: ${target} bytes asked, only ${available} available: the OOM killer would pick host processes; ask for less`,
      );
    }
    return startStress(ctx, {
      args: () => [
        '--vm',
        String(t.workers),
        '--vm-bytes',
        String(vmBytesFor(target, t.workers)),
        '--vm-keep',
        '--vm-method',
        'write64',
      ],
      group: { tasks: t.workers },
      // parent + a [wait] and a worker per vm instance
      minProcs: 1 + 2 * t.workers,
      maxDuration: t.maxDuration,
    });
  },
  ...stressUndo(),
});
