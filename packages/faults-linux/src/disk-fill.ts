import { defineFault, parsePercent, parseSize, percentSchema, sizeSchema } from '@faultline/core';
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
    /** The directory the fill file goes into (under /tmp, /var/tmp or allowedRoots). */
    ...pathTunables,
    /** Bytes to add (`'10GiB'`). */
    size: v.optional(sizeSchema()),
    /** Or a percent of the filesystem's size to add. */
    percent: v.optional(percentSchema()),
    /** Write block for the `write` method (and the fallback when fallocate is not supported). */
    blockSize: v.optional(sizeSchema(), '4MiB'),
    /** `fallocate` reserves the blocks at once; `write` writes real data. */
    method: v.optional(v.picklist(['fallocate', 'write']), 'fallocate'),
    /** Refuse to leave less than this free. */
    safetyFloor: v.optional(sizeSchema(), '1GiB'),
  }),
  pathAllowedCheck(),
  exactlyOneSize(),
  blockSizeInRange(),
);

/** `linux/disk-fill`: adds a file of the asked size (or share of the filesystem) under a path. */
export const diskFill = defineFault<typeof tunables, FillReceipt>({
  kind: 'linux/disk-fill',
  summary: 'Takes disk space: one file of the asked size, never below a safety floor of free space',
  tunables,
  check: (ctx) => pathCapability(ctx.tunables),
  async inject(ctx) {
    const t = ctx.tunables;
    const dir = resolveAllowedDir(t.path, t.allowedRoots);
    const usage = await fsUsage(dir);
    const bytes =
      t.size !== undefined ? parseSize(t.size) : Math.round((parsePercent(t.percent!) / 100) * usage.total);
    await checkFloor('linux/disk-fill', dir, bytes, parseSize(t.safetyFloor));
    const receipt = await fillFile(fillPath(dir, ctx.objectName), bytes, {
      blockSize: parseSize(t.blockSize),
      method: t.method,
      signal: ctx.signal,
    });
    ctx.log.info(`filled ${bytes} bytes in ${dir}`, { method: receipt.method });
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
