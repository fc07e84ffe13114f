import { existsSync } from 'node:fs';
import { parseTunables } from '@faultline/core';
import { faultContract } from '@faultline/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { leftoversOfThisFile, testCtx, until } from '../test/helpers.js';
import { groupPids } from './host/cgroup.js';
import { memoryUsage } from './host/cgroup-stats.js';
import { memoryStress, vmBytesFor } from './memory-stress.js';

const MiB = 1024 * 1024;

faultContract(memoryStress, {
  pack: '@faultline/faults-linux',
  setup: async () => ({ tunables: { size: '32MiB', maxDuration: '30s' } }),
});

describe('linux/memory-stress', () => {
  afterAll(async () => {
    expect(await leftoversOfThisFile('_kmemorystress')).toEqual([]);
  });

  it('holds about the asked size in its own cgroup, and revert frees it', async () => {
    const ctx = testCtx('mem', parseTunables(memoryStress, { size: '128MiB', maxDuration: '20s' }));
    const r = await memoryStress.inject(ctx);
    let pids: number[] = [];
    try {
      pids = groupPids(r.cgroups);
      // pages are touched progressively: wait for the footprint to settle
      let last = 0;
      await until(() => {
        const now = memoryUsage(r.cgroups) ?? 0;
        const settled = now > 100 * MiB && now === last;
        last = now;
        return settled;
      }, 8000);
      const held = memoryUsage(r.cgroups)!;
      expect(Math.abs(held - 128 * MiB) / (128 * MiB)).toBeLessThan(0.05);
    } finally {
      await memoryStress.revert(r, ctx);
    }
    expect(r.cgroups.some((d) => existsSync(d))).toBe(false);
    expect(await until(() => pids.every((p) => !existsSync(`/proc/${p}`)))).toBe(true);
  });

  it('refuses more than the host has available, before starting anything', async () => {
    const ctx = testCtx('mem', parseTunables(memoryStress, { size: '100TiB' }));
    await expect(memoryStress.inject(ctx)).rejects.toMatchObject({ code: 'FL_CAPABILITY' });
    expect(await memoryStress.present!(undefined, ctx)).toBe(false);
  });

  it('rejects bad tunables', () => {
    for (const bad of [
      {},
      { size: '1GiB', percent: 10 },
      { percent: 150 },
      { size: '12 parsecs' },
      { size: '1GiB', workers: 0 },
    ]) {
      expect(() => parseTunables(memoryStress, bad)).toThrow(/FL_TUNABLES/);
    }
  });

  it('subtracts stress-ng own footprint from --vm-bytes', () => {
    expect(vmBytesFor(512 * MiB, 1)).toBeLessThan(512 * MiB);
    expect(vmBytesFor(512 * MiB, 1) % 4096).toBe(0);
    expect(vmBytesFor(1 * MiB, 2)).toBe(8192);
  });
});
