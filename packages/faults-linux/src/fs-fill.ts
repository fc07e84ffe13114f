import { defineFault, FaultlineError } from '@faultline/core';
import * as v from 'valibot';
import { type FillReceipt, fillEntries, fillUndo, injectFill, withFillChecks } from './host/fill.js';
import { pathCapability } from './host/paths.js';

const tunables = withFillChecks(v.strictObject(fillEntries));

/**
 * `linux/fs-fill`: brings a filesystem to a usage level by writing real data (through the page cache
 * and writeback, like an application that logs too much) — unlike disk-fill, which reserves blocks.
 * `percent` is the usage to reach (used / size, as `df` shows it).
 */
export const fsFill = defineFault<typeof tunables, FillReceipt>({
  kind: 'linux/fs-fill',
  summary: 'Fills a filesystem up to a usage percent by writing real data, never below a safety floor',
  tunables,
  check: (ctx) => pathCapability(ctx.tunables),
  inject: (ctx) =>
    injectFill('linux/fs-fill', ctx, {
      method: 'write',
      percentBytes(percent, usage, dir) {
        const bytes = Math.round((percent / 100) * usage.total - usage.used);
        if (bytes > 0) return bytes;
        throw new FaultlineError(
          'FL_CAPABILITY',
          `linux/fs-fill: ${dir} is already ${((100 * usage.used) / usage.total).toFixed(1)} % full, above the asked ${percent} %`,
        );
      },
    }),
  ...fillUndo,
});
