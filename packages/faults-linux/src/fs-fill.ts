import { defineFault, FaultlineError, parsePercent, parseSize } from '@faultline/core';
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
  ...fillUndo,
});
