// Paths are resolved before they are checked: a symlink cannot carry a fill into a system tree.
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { type FaultDefinition, parseTunables } from '@faultline/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diskFill } from '../disk-fill.js';
import { diskIoStress } from '../disk-io-stress.js';
import { fsFill } from '../fs-fill.js';
import { resolveAllowedDir } from './paths.js';

// made in beforeAll, not at import: a collection of the tests (test/collect-tests.mjs) imports this file
let scratch = '';
beforeAll(() => {
  scratch = mkdtempSync('/tmp/flc-paths-');
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('allowed roots', () => {
  // only check() and the resolution run here: they are what stands between inject and /etc
  it('a symlinked allowedRoot that leads to /etc is refused: check() says unavailable, the path never resolves', async () => {
    const link = join(scratch, 'x');
    symlinkSync('/etc', link);
    const fills: FaultDefinition<any, any>[] = [diskFill, fsFill];
    for (const fault of fills) {
      const t = parseTunables(fault, { path: link, size: '4KiB', allowedRoots: [link] });
      const cap = await fault.check!({
        tunables: t as never,
        signal: AbortSignal.timeout(5_000),
        log: console as never,
      });
      expect(cap.available, fault.kind).toBe(false);
      expect(cap.reason).toMatch(
        /allowed root .*x resolves to \/etc, a system tree faultline never writes into/,
      );
    }
    // what every path fault (disk-io-stress too) resolves first in inject
    expect(parseTunables(diskIoStress, { path: link, allowedRoots: [link] })).toBeDefined();
    expect(() => resolveAllowedDir(link, [link])).toThrow(/FL_TUNABLES/);
    // a root under it is no better, nor is a path that leads there through a symlink under /tmp
    expect(() => resolveAllowedDir(join(link, 'ssl'), [join(link, 'ssl')])).toThrow(/resolves to \/etc\/ssl/);
    expect(() => resolveAllowedDir(link)).toThrow(/resolves to \/etc, outside the allowed roots/);
  });

  it('a symlinked allowedRoot that leads to a real directory elsewhere still works', () => {
    const real = mkdtempSync('/var/tmp/flc-paths-real-');
    try {
      const link = join(scratch, 'data');
      symlinkSync(real, link);
      expect(resolveAllowedDir(link, [link])).toBe(real);
    } finally {
      rmSync(real, { recursive: true, force: true });
    }
  });
});
