import { existsSync, readdirSync } from 'node:fs';
import { parseTunables } from '@faultline/core';
import { faultContract } from '@faultline/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { leftoversOfThisFile, tempDir, testCtx, until } from '../test/helpers.js';
import { diskIoStress } from './disk-io-stress.js';
import { groupPids } from './host/cgroup.js';
import { readComm } from './host/proc.js';

faultContract(diskIoStress, {
  pack: '@faultline/faults-linux',
  setup: async () => {
    const d = tempDir();
    return { tunables: { path: d.path, size: '8MiB', maxDuration: '30s' }, cleanup: async () => d.remove() };
  },
});

describe('linux/disk-io-stress', () => {
  afterAll(async () => {
    expect(await leftoversOfThisFile('_kdiskiostress')).toEqual([]);
  });

  it('runs hdd workers writing under <path>/<objectName>, and revert removes workers and files', async () => {
    const d = tempDir();
    try {
      const ctx = testCtx(
        'dio',
        parseTunables(diskIoStress, { path: d.path, size: '8MiB', workers: 1, maxDuration: '20s' }),
      );
      const r = await diskIoStress.inject(ctx);
      try {
        expect(r.tempDir).toBe(`${d.path}/${ctx.objectName}`);
        expect(await until(() => groupPids(r.cgroups).some((p) => readComm(p) === 'stress-ng-hdd'))).toBe(
          true,
        );
      } finally {
        await diskIoStress.revert(r, ctx);
      }
      expect(r.cgroups.some((x) => existsSync(x))).toBe(false);
      expect(readdirSync(d.path)).toEqual([]);
    } finally {
      d.remove();
    }
  });

  it('rejects paths outside the allowed roots', () => {
    expect(() => parseTunables(diskIoStress, { path: '/home', size: '8MiB' })).toThrow(/FL_TUNABLES/);
    expect(() => parseTunables(diskIoStress, { path: '/tmp', utilization: 150 })).toThrow(/FL_TUNABLES/);
  });
});
