import { join } from 'node:path';
import { defineFault, parsePercent, parseSize, percentSchema, sizeSchema } from '@faultline/core';
import * as v from 'valibot';
import { checkFloor, freeBytes } from './host/fill.js';
import { type PathTunables, pathAllowedCheck, pathTunables, resolveAllowedDir } from './host/paths.js';
import {
  maxDurationTunable,
  requireStress,
  type StressReceipt,
  startStress,
  stressCheck,
  stressUndo,
} from './host/stress.js';
import { workersSchema } from './host/tunables.js';

const tunables = v.pipe(
  v.strictObject({
    /** A directory on the filesystem to stress; stress-ng's files go to `<path>/<objectName>/`. */
    ...pathTunables,
    /** Bytes the workers write and rewrite, as a percent of the filesystem's free space. */
    utilization: v.optional(percentSchema()),
    /** Or an absolute size (all workers together). */
    size: v.optional(sizeSchema()),
    workers: v.pipe(workersSchema(1), v.minValue(1)),
    /** Refuse to leave less than this free. */
    safetyFloor: v.optional(sizeSchema(), '1GiB'),
    /** Safety stop: stress-ng ends by itself after this even if nothing reverts it. */
    maxDuration: maxDurationTunable,
  }),
  pathAllowedCheck(),
  v.check(
    (t) => !(t.size !== undefined && t.utilization !== undefined),
    'give size or utilization, not both',
  ),
);

/** `linux/disk-io-stress`: stress-ng hdd workers writing, reading and deleting files under a path. */
export const diskIoStress = defineFault<typeof tunables, StressReceipt>({
  kind: 'linux/disk-io-stress',
  summary: 'Loads a filesystem with stress-ng hdd workers (write/read/sync) in a cgroup of their own',
  tunables,
  check: (ctx) => stressCheck(ctx.signal),
  async inject(ctx) {
    const t = ctx.tunables;
    const dir = resolveAllowedDir(t.path, t.allowedRoots);
    await requireStress('linux/disk-io-stress', ctx.signal);
    const free = await freeBytes(dir);
    const total =
      t.size !== undefined ? parseSize(t.size) : Math.round((parsePercent(t.utilization ?? 10) / 100) * free);
    await checkFloor('linux/disk-io-stress', dir, total, parseSize(t.safetyFloor));
    const perWorker = Math.max(1024 * 1024, Math.floor(total / t.workers));
    return startStress(ctx, {
      args: () => [
        '--hdd',
        String(t.workers),
        '--hdd-bytes',
        String(perWorker),
        '--temp-path',
        join(dir, ctx.objectName),
      ],
      group: { tasks: t.workers },
      minProcs: 1 + t.workers,
      tempDir: join(dir, ctx.objectName),
      maxDuration: t.maxDuration,
    });
  },
  ...stressUndo(safeRoot),
});

// A receipt-less revert looks for `<path>/<objectName>` only where inject would have put it.
function safeRoot(t: PathTunables): string | undefined {
  try {
    return resolveAllowedDir(t.path, t.allowedRoots);
  } catch {
    return undefined;
  }
}
