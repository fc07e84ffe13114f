import { existsSync, readFileSync } from 'node:fs';
import { FaultlineError, parseTunables } from '@faultline/core';
import { faultContract } from '@faultline/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { leftoversOfThisFile, testCtx, until } from '../test/helpers.js';
import { cpuStress } from './cpu-stress.js';
import { existingGroupDirs, groupPids } from './host/cgroup.js';
import { cpuUsageNs } from './host/cgroup-stats.js';
import { readComm } from './host/proc.js';

faultContract(cpuStress, {
  pack: '@faultline/faults-linux',
  setup: async () => ({ tunables: { load: 20, workers: 1, maxDuration: '30s' } }),
  inEffect: async (receipt) => {
    const r = receipt as { cgroups: string[] };
    expect(await until(() => groupPids(r.cgroups).map(readComm).includes('stress-ng-cpu'))).toBe(true);
  },
});

describe('linux/cpu-stress', () => {
  afterAll(async () => {
    expect(await leftoversOfThisFile('_kcpustress')).toEqual([]);
  });

  it('runs its workers in its own cgroup at the asked load, and revert leaves no worker anywhere', async () => {
    const ctx = testCtx('tcpu', parseTunables(cpuStress, { load: 40, workers: 2, maxDuration: '20s' }));
    const r = await cpuStress.inject(ctx);
    let pids: number[] = [];
    try {
      // workers name themselves (prctl) a moment after fork
      const workers = () => groupPids(r.cgroups).filter((p) => readComm(p) === 'stress-ng-cpu');
      expect(await until(() => workers().length === 2)).toBe(true);
      pids = groupPids(r.cgroups);
      expect(r.cgroups.every((d) => d.endsWith(`/${ctx.objectName}`))).toBe(true);
      const a = cpuUsageNs(r.cgroups)!;
      await new Promise((res) => setTimeout(res, 1000));
      const used = (cpuUsageNs(r.cgroups)! - a) / 1e9; // CPU-seconds over ~1 s for 2 workers at 40 %
      expect(used).toBeGreaterThan(0.15); // the machine is shared: only "it burns CPU" is certain
      expect(used).toBeLessThan(1.2); // the quota caps 2 × 40 % = 0.8 CPU-s (+ one period of slack)
    } finally {
      await cpuStress.revert(r, ctx);
    }
    expect(r.cgroups.some((d) => existsSync(d))).toBe(false);
    expect(await until(() => pids.every((p) => !existsSync(`/proc/${p}`)))).toBe(true);
  });

  it('pins its workers to the asked cpus (cpuset cgroup)', async () => {
    const ctx = testCtx('tcpu', parseTunables(cpuStress, { load: 10, cpus: '0', maxDuration: '20s' }));
    const r = await cpuStress.inject(ctx);
    try {
      const workers = () => groupPids(r.cgroups).filter((p) => readComm(p) === 'stress-ng-cpu');
      expect(await until(() => workers().length === 1)).toBe(true); // workers 0 = one per listed cpu
      const allowed = readFileSync(`/proc/${workers()[0]}/status`, 'utf8').match(
        /^Cpus_allowed_list:\s*(\S+)/m,
      )?.[1];
      expect(allowed).toBe('0');
    } finally {
      await cpuStress.revert(r, ctx);
    }
    expect(r.cgroups.some((d) => existsSync(d))).toBe(false);
    await expect(
      cpuStress.inject(testCtx('tcpu', parseTunables(cpuStress, { cpus: '0-999' }))),
    ).rejects.toMatchObject({ code: 'FL_TUNABLES' });
  });

  it('an abort during inject leaves nothing behind (FL_ABORTED)', async () => {
    const ac = new AbortController();
    ac.abort();
    const ctx = { ...testCtx('tcpu', parseTunables(cpuStress, { load: 10, workers: 1 })), signal: ac.signal };
    await expect(cpuStress.inject(ctx)).rejects.toMatchObject({ code: 'FL_ABORTED' });
    expect(existingGroupDirs(ctx.objectName)).toEqual([]);
    await cpuStress.revert(undefined, ctx); // what the runner does next: a no-op
    expect(await cpuStress.present!(undefined, ctx)).toBe(false);
  });

  it('rejects bad tunables before anything happens', () => {
    for (const bad of [{ load: 150 }, { workers: -1 }, { cpus: '0;rm -rf /' }, { load: 50, extra: 1 }]) {
      expect(() => parseTunables(cpuStress, bad)).toThrow(FaultlineError);
      try {
        parseTunables(cpuStress, bad);
      } catch (e) {
        expect((e as FaultlineError).code).toBe('FL_TUNABLES');
      }
    }
  });

  it('says how to do it by hand', () => {
    const ctx = testCtx('tcpu', parseTunables(cpuStress, {}));
    expect(cpuStress.manual(undefined, ctx)).toContain(ctx.objectName);
    expect(cpuStress.healthCheck?.(ctx.tunables).kind).toBe('probe/infra-responsive');
  });
});
