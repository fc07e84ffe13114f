import { availableParallelism } from 'node:os';
import { defineFault, FaultlineError, parsePercent, percentSchema } from '@faultline/core';
import * as v from 'valibot';
import {
  maxDurationTunable,
  requireStress,
  type StressReceipt,
  startStress,
  stressCheck,
  stressUndo,
} from './host/stress.js';
import { cpuListSchema, expandCpuList, workersSchema } from './host/tunables.js';

const tunables = v.strictObject({
  /** Load of each worker, percent of one CPU. */
  load: v.optional(percentSchema(), 100),
  /** Worker count; 0 = one per CPU (of `cpus` when given). */
  workers: workersSchema(0),
  /** Pin the workers to these CPUs (`0-1,3`): cpuset cgroup when there is one, else stress-ng's taskset. */
  cpus: v.optional(cpuListSchema),
  /** Safety stop: stress-ng ends by itself after this even if nothing reverts it. */
  maxDuration: maxDurationTunable,
});

/**
 * `linux/cpu-stress`: stress-ng CPU workers in a cgroup of their own. The load is held by the
 * kernel's CFS quota when a cpu controller exists (workers spin, the cgroup is capped at
 * load × workers CPUs), else by stress-ng's --cpu-load duty cycle.
 */
export const cpuStress = defineFault<typeof tunables, StressReceipt>({
  kind: 'linux/cpu-stress',
  summary: 'Loads CPUs with stress-ng workers held in a cgroup of their own',
  tunables,
  check: (ctx) => stressCheck(ctx.signal),
  async inject(ctx) {
    const t = ctx.tunables;
    await requireStress('linux/cpu-stress', ctx.signal);
    const cpus = t.cpus === undefined ? undefined : expandCpuList(t.cpus);
    const online = availableParallelism();
    const bad = cpus?.filter((c) => c >= online);
    if (bad?.length)
      throw new FaultlineError(
        'FL_TUNABLES',
        `linux/cpu-stress: cpus ${bad.join(',')} do not exist here (this host has ${online})`,
      );
    const workers = t.workers || cpus?.length || online;
    const load = parsePercent(t.load);
    return startStress(ctx, {
      args: (group) => [
        '--cpu',
        String(workers),
        // the kernel's quota holds the load exactly: workers spin and get throttled; else stress-ng's duty cycle
        '--cpu-load',
        String(group.cpuLimitEnforced ? 100 : Math.round(load)),
        ...(t.cpus !== undefined && !group.cpusetEnforced ? ['--taskset', t.cpus] : []),
      ],
      group: {
        cpuLimit: (load / 100) * workers,
        tasks: workers,
        ...(t.cpus === undefined ? {} : { cpus: t.cpus }),
      },
      minProcs: workers + 1,
      maxDuration: t.maxDuration,
    });
  },
  ...stressUndo(),
});
