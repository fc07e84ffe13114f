import { defineFault } from '@faultline/core';
import * as v from 'valibot';
import { type FillReceipt, fillEntries, fillUndo, injectFill, withFillChecks } from './host/fill.js';
import { pathCapability } from './host/paths.js';

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
  inject: (ctx) =>
    injectFill('linux/disk-fill', ctx, {
      method: ctx.tunables.method,
      percentBytes: (percent, usage) => Math.round((percent / 100) * usage.total),
    }),
  ...fillUndo,
});
