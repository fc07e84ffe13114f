import { mkdtemp, rm } from 'node:fs/promises';
import { experiment, Registry } from '@faultline/core';
import { describe, expect, it } from 'vitest';
import { refOf, stateOf } from './host/proc.js';
import { quietRuntime, spawnSleeper } from './host/test-utils.js';
import pack, { doctor, formatDoctor, hostFaults, linux, scanLeftovers } from './index.js';

describe('@faultline/faults-linux pack', () => {
  it('registers every host fault under the package name', () => {
    const reg = new Registry().register(pack);
    expect(pack.name).toBe('@faultline/faults-linux');
    for (const f of hostFaults) expect(reg.fault(f.kind).pack).toBe('@faultline/faults-linux');
  });

  it('helpers validate where the spec is written', () => {
    expect(linux.cpuStress({ load: 80 })).toEqual({ kind: 'linux/cpu-stress', tunables: { load: 80 } });
    expect(() => linux.cpuStress({ load: 150 })).toThrow(/FL_TUNABLES/);
    expect(() => linux.diskFill({ path: '/etc', size: '1GiB' })).toThrow(/FL_TUNABLES/);
  });

  it('doctor reports every fault kind with a reason when it is not available', async () => {
    const r = await doctor();
    expect(r.faults.map((f) => f.kind).sort()).toEqual(pack.faults.map((f) => f.kind).sort());
    for (const f of r.faults) if (!f.available) expect(f.reason).toBeTruthy();
    expect(formatDoctor(r)).toContain('| linux/cpu-stress |');
  });

  it('every fault has a health-check probe of a known kind', () => {
    for (const f of hostFaults) {
      const probe = f.healthCheck?.({ pids: [2], services: ['x'], path: '/tmp' } as never);
      expect(['probe/process-alive', 'probe/infra-responsive']).toContain(probe?.kind);
    }
  });

  it('scanLeftovers answers a list (what other tests compare to empty)', async () => {
    expect(Array.isArray(await scanLeftovers())).toBe(true);
  });
});

describe('the pack in a real run', () => {
  it('a runtime injects host faults on their own targets and leaves nothing behind', {
    timeout: 60_000,
  }, async () => {
    const stateDir = await mkdtemp('/tmp/flc-rt-');
    const dir = await mkdtemp('/tmp/flc-');
    const s = spawnSleeper();
    const { runtime, probes } = await quietRuntime(stateDir);
    try {
      const spec = experiment('flc host faults')
        .fault(linux.cpuStress({ load: 20, workers: 1, maxDuration: '30s' }), {
          duration: '300ms',
          healthCheck: false,
          probes,
        })
        .parallel(
          [linux.diskFill({ path: dir, size: '4MiB' }), { duration: '300ms', healthCheck: false, probes }],
          [linux.processPause({ pids: [s.pid] }), { duration: '300ms', healthCheck: false, probes }],
        )
        .build();
      const result = await runtime.run(spec).result;
      expect(result.error).toBeUndefined();
      expect(result.verdict).toBe('Pass');
      expect(result.faults).toHaveLength(3);
      expect(result.reverts.every((r) => r.ok)).toBe(true);
      // the paused process must still exist, or "not stopped" would pass for a dead one
      const ref = refOf(s.pid);
      expect(ref, 'the paused process is still alive').toBeDefined();
      expect(stateOf(ref!)).not.toBe('T');
      const mine = (await scanLeftovers({ stateDir })).filter((l) =>
        l.name.includes(
          result.runId
            .replace(/[^a-z0-9]/gi, '')
            .toLowerCase()
            .slice(0, 8),
        ),
      );
      expect(mine).toEqual([]);
    } finally {
      await runtime.close();
      await s.stop();
      await rm(stateDir, { recursive: true, force: true });
      await rm(dir, { recursive: true, force: true });
    }
  });
});
