import { existsSync, mkdirSync, rmdirSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { parseTunables } from '@faultline/core';
import { faultContract } from '@faultline/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { leftoversOfThisFile, tempDir, testCtx } from '../test/helpers.js';
import { run } from './exec.js';
import { fsFill } from './fs-fill.js';

faultContract(fsFill, {
  pack: '@faultline/faults-linux',
  setup: async () => {
    const d = tempDir();
    return { tunables: { path: d.path, size: '4MiB', blockSize: '1MiB' }, cleanup: async () => d.remove() };
  },
});

describe('linux/fs-fill', () => {
  afterAll(async () => {
    expect(await leftoversOfThisFile('_kfsfill')).toEqual([]);
  });

  it('fills a small filesystem (a tmpfs the test mounts) to the asked percent, and revert empties it', async () => {
    const mnt = `/tmp/flc-tmpfs-${process.pid}`;
    mkdirSync(mnt);
    const m = await run('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'flc-tmpfs', mnt]);
    try {
      expect(m.exitCode, m.stderr).toBe(0);
      const ctx = testCtx(
        'fsfill',
        parseTunables(fsFill, { path: mnt, percent: 50, safetyFloor: '8MiB', blockSize: '1MiB' }),
      );
      const r = await fsFill.inject(ctx);
      try {
        const s = await statfs(mnt);
        const usedPct = (100 * (s.blocks - s.bfree)) / s.blocks;
        expect(usedPct).toBeGreaterThan(49);
        expect(usedPct).toBeLessThan(51);
      } finally {
        await fsFill.revert(r, ctx);
      }
      const s = await statfs(mnt);
      expect(s.blocks - s.bfree).toBe(0);
      // and the floor: 90 % of 64 MiB would leave 6.4 MiB, below an 8 MiB floor
      const ctx2 = testCtx('fsfill', parseTunables(fsFill, { path: mnt, percent: 90, safetyFloor: '8MiB' }));
      await expect(fsFill.inject(ctx2)).rejects.toMatchObject({ code: 'FL_CAPABILITY' });
      expect(existsSync(`${mnt}/${ctx2.objectName}.fill`)).toBe(false);
    } finally {
      await run('umount', [mnt]);
      rmdirSync(mnt);
    }
  });

  it('rejects bad tunables', () => {
    for (const t of [{ path: '/var/lib', percent: 50 }, { path: '/tmp' }, { path: '/tmp', percent: 101 }]) {
      expect(() => parseTunables(fsFill, t), JSON.stringify(t)).toThrow(/FL_TUNABLES/);
    }
  });
});
