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
  blockSizeInRange,
  checkFloor,
  exactlyOneSize,
  type FillReceipt,
  fillFile,
  fillManual,
  fillPath,
  fillPresent,
  fillTargets,
  fsUsage,
  removeFill,
} from './host/fill.js';
import { pathAllowedCheck, pathCapability, pathTunables, resolveAllowedDir } from './host/paths.js';

const tunables = v.pipe(
  v.strictObject({
    /** A directory on the filesystem to fill (under /tmp, /var/tmp or allowedRoots). */
    ...pathTunables,
    /** Fill until the filesystem is this full (used / size, as `df` shows it). */
    percent: v.optional(percentSchema()),
    /** Or write exactly this much. */
    size: v.optional(sizeSchema()),
    /** Each write() call writes this much real data. */
    blockSize: v.optional(sizeSchema(), '4MiB'),
    /** Refuse to leave less than this free. */
    safetyFloor: v.optional(sizeSchema(), '1GiB'),
  }),
  pathAllowedCheck(),
  exactlyOneSize(),
  blockSizeInRange(),
);

/**
 * `linux/fs-fill`: brings a filesystem to a usage level by writing real data (through the page cache
 * and writeback, like an application that logs too much) — unlike disk-fill, which reserves blocks.
 */
export const fsFill = defineFault<typeof tunables, FillReceipt>({
  kind: 'linux/fs-fill',
  summary: 'Fills a filesystem up to a usage percent by writing real data, never below a safety floor',
  tunables,
  check: (ctx) => pathCapability(ctx.tunables),
  async inject(ctx) {
    const t = ctx.tunables;
    const dir = resolveAllowedDir(t.path, t.allowedRoots);
    const usage = await fsUsage(dir);
    const bytes =
      t.size !== undefined
        ? parseSize(t.size)
        : Math.round((parsePercent(t.percent!) / 100) * usage.total - usage.used);
    if (bytes <= 0) {
      throw new FaultlineError(
        'FL_CAPABILITY',
        `linux/fs-fill: ${dir} is already ${((100 * usage.used) / usage.total).toFixed(1)} % full, above the asked ${t.percent} %`,
      );
    }
    await checkFloor('linux/fs-fill', dir, bytes, parseSize(t.safetyFloor));
    const receipt = await fillFile(fillPath(dir, ctx.objectName), bytes, {
      blockSize: parseSize(t.blockSize),
      method: 'write',
      signal: ctx.signal,
    });
    ctx.log.info(`wrote ${bytes} bytes to ${dir}`);
    return receipt;
  },
  async revert(receipt, ctx) {
    removeFill(fillTargets(receipt, ctx));
  },
  present: async (receipt, ctx) => fillPresent(fillTargets(receipt, ctx)),
  manual: (receipt, ctx) => fillManual(fillTargets(receipt, ctx), ctx.objectName),
  healthCheck: () => ({
    name: 'infra-responsive',
    kind: 'probe/infra-responsive',
    tunables: {},
    mode: 'Edge',
  }),
});
