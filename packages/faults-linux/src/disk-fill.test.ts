import { existsSync, mkdirSync, readdirSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { parseTunables } from '@faultline/core';
import { faultContract } from '@faultline/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { leftoversOf, leftoversOfThisFile, tempDir, testCtx } from '../test/helpers.js';
import { diskFill } from './disk-fill.js';

const MiB = 1024 * 1024;
const dirs: { remove: () => void }[] = [];
function dir(): string {
  const d = tempDir();
  dirs.push(d);
  return d.path;
}

faultContract(diskFill, {
  pack: '@faultline/faults-linux',
  setup: async () => {
    const d = tempDir();
    return { tunables: { path: d.path, size: '4MiB' }, cleanup: async () => d.remove() };
  },
});

describe('linux/disk-fill', () => {
  afterAll(async () => {
    expect(await leftoversOfThisFile('_kdiskfill')).toEqual([]);
    for (const d of dirs) d.remove();
  });

  it.concurrent.each(['fallocate', 'write'] as const)(
    'creates one file of the asked size (%s) and revert deletes exactly it',
    async (method) => {
      const path = dir();
      const ctx = testCtx(
        'tfill',
        parseTunables(diskFill, { path, size: '16MiB', method, blockSize: '1MiB' }),
      );
      const r = await diskFill.inject(ctx);
      const file = join(path, `${ctx.objectName}.fill`);
      try {
        expect(r.files.map((f) => f.path)).toEqual([file]);
        expect(statSync(file).size).toBe(16 * MiB);
        expect(statSync(file).blocks * 512).toBeGreaterThanOrEqual(16 * MiB); // blocks really taken
        expect(await leftoversOf([ctx.objectName])).toHaveLength(1);
      } finally {
        await diskFill.revert(r, ctx);
      }
      expect(existsSync(file)).toBe(false);
      expect(readdirSync(path)).toEqual([]);
    },
  );

  it.concurrent('refuses to go below the safety floor, before writing anything', async () => {
    const path = dir();
    const ctx = testCtx('tfill', parseTunables(diskFill, { path, size: '1MiB', safetyFloor: '1000TiB' }));
    await expect(diskFill.inject(ctx)).rejects.toMatchObject({ code: 'FL_CAPABILITY' });
    expect(readdirSync(path)).toEqual([]);
  });

  it.concurrent('refuses a symlink that escapes the allowed roots, before writing anything', async () => {
    const path = dir();
    symlinkSync('/etc', join(path, 'escape'));
    const ctx = testCtx('tfill', parseTunables(diskFill, { path: join(path, 'escape'), size: '1MiB' }));
    await expect(diskFill.inject(ctx)).rejects.toMatchObject({ code: 'FL_TUNABLES' });
    expect(existsSync(`/etc/${ctx.objectName}.fill`)).toBe(false);
  });

  it('rejects bad paths and sizes as FL_TUNABLES', () => {
    const bad = [
      { path: '/etc', size: '1MiB' },
      { path: '/tmp/../etc', size: '1MiB' },
      { path: '/tmp/x;rm -rf /', size: '1MiB' },
      { path: 'tmp/x', size: '1MiB' },
      { path: '/tmp', percent: 150 },
      { path: '/tmp', size: '1MiB', percent: 1 },
      { path: '/tmp', size: '1MiB', allowedRoots: ['/'] },
      { path: '/tmp', size: '1MiB', blockSize: '1GiB' },
    ];
    for (const t of bad) expect(() => parseTunables(diskFill, t), JSON.stringify(t)).toThrow(/FL_TUNABLES/);
  });

  it('accepts a path under an extra allowed root', () => {
    const path = dir();
    mkdirSync(join(path, 'data'));
    expect(() =>
      parseTunables(diskFill, { path: '/srv/data', size: '1MiB', allowedRoots: ['/srv'] }),
    ).not.toThrow();
  });
});
