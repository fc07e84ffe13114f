import { Registry } from '@faultline/core';
import { describe, expect, it } from 'vitest';
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
