import { defineFault, parsePercent, parseSize } from '@faultline/core';
import * as v from 'valibot';
import {
  checkFloor,
  type FillReceipt,
  fillEntries,
  fillFile,
  fillPath,
  fillUndo,
  fsUsage,
  withFillChecks,
} from './host/fill.js';
import { pathCapability, resolveAllowedDir } from './host/paths.js';

const tunables = withFillChecks(
  v.strictObject({
    ...fillEntries,
    /** `fallocate` reserves the blocks at once; `write` writes real data. */
    method: v.optional(v.picklist(['fallocate', 'write']), 'fallocate'),
  }),
);

/**
 * `linux/disk-fill`: adds a file of the asked size (or `percent` of the filesystem's size) under a
 * path.
 */
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
  ...fillUndo,
});
