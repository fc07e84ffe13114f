// The fill faults never take the room faultline keeps on the filesystem of its state dir, whatever
// safetyFloor says (small tmpfs the test mounts, root only).
import { existsSync } from 'node:fs';
import { type FaultDefinition, parseTunables } from '@faultline/core';
import { canMount, mountSmallTmpfs } from '@faultline/core/testing';
import { describe, expect, it } from 'vitest';
import { testCtx } from '../../test/helpers.js';
import { diskFill } from '../disk-fill.js';
import { fsFill } from '../fs-fill.js';

// fill.ts's STATE_FS_HEADROOM (twice the journal's 1 MiB reserve), spelled out
const STATE_FS_HEADROOM = 2 * 1024 * 1024;

describe.skipIf(!canMount)("a fill on the state dir's own filesystem", () => {
  it.each<[string, FaultDefinition<any, any>, object]>([
    ['fs-fill percent 100', fsFill, { percent: 100 }],
    ['disk-fill percent 100', diskFill, { percent: 100 }],
    ['disk-fill size 7MiB', diskFill, { size: '7MiB' }],
  ])('%s with safetyFloor 0 leaves the headroom free, and says so', async (_n, fault, amount) => {
    const fs = mountSmallTmpfs(8);
    try {
      const t = parseTunables(fault, { path: fs.path, safetyFloor: '0', allowedRoots: [fs.path], ...amount });
      const logged: string[] = [];
      const ctx = testCtx('stfill', t, fs.path);
      const r = await fault.inject({
        ...ctx,
        log: { ...ctx.log, warn: (m: string) => logged.push(m) },
      } as never);
      try {
        expect(fs.free()).toBeGreaterThanOrEqual(STATE_FS_HEADROOM);
        expect(fs.free()).toBeLessThan(STATE_FS_HEADROOM + 512 * 1024);
        expect(logged.join('\n')).toMatch(
          /filesystem of faultline's state dir .* so that 2097152 bytes stay free/,
        );
        expect(r.bytes).toBeLessThan(8 * 1024 * 1024 - STATE_FS_HEADROOM + 1);
      } finally {
        await fault.revert(r as never, ctx as never);
      }
      expect(await fault.present!(r as never, ctx as never)).toBe(false);
      expect(existsSync(r.files[0]!.path)).toBe(false);
    } finally {
      fs.unmount();
    }
  });

  it('on another filesystem the same fill takes it all', async () => {
    const fs = mountSmallTmpfs(8);
    try {
      const t = parseTunables(fsFill, {
        path: fs.path,
        percent: 100,
        safetyFloor: '0',
        allowedRoots: [fs.path],
      });
      const ctx = testCtx('stfill', t, '/tmp');
      const r = await fsFill.inject(ctx);
      expect(fs.free()).toBeLessThan(64 * 1024);
      await fsFill.revert(r, ctx);
      expect(await fsFill.present!(r, ctx)).toBe(false);
    } finally {
      fs.unmount();
    }
  });
});
