import { mkdtemp, rm } from 'node:fs/promises';
import { experiment, Registry, type TunablesInput } from '@faultline/core';
import { packContract } from '@faultline/core/testing';
import { describe, expect, it } from 'vitest';
import { quietRuntime, quietRuntimeOf, spawnSleeper } from '../test/helpers.js';
import { refOf, stateOf } from './host/proc.js';
import pack, { doctor, faults, formatDoctor, linux, scanLeftovers } from './index.js';
import { withNetnsPair } from './testing/netns.js';

/** Sample tunables of every fault, one per branch of its health check (by helper name, so typed). */
const samples: { [K in keyof typeof faults]: TunablesInput<(typeof faults)[K]>[] } = {
  cpuStress: [{}],
  memoryStress: [{ size: '64MiB' }],
  diskIoStress: [{ path: '/tmp' }],
  diskFill: [{ path: '/tmp', size: '1MiB' }],
  fsFill: [{ path: '/tmp', percent: 50 }],
  processKill: [{ names: ['nginx'] }, { pids: [4242] }, { pattern: 'worker' }],
  processPause: [{ names: ['nginx'] }, { pids: [4242] }, { pattern: 'worker' }],
  serviceRestart: [{ services: ['nginx'] }],
  networkLoss: [
    { percent: 30 },
    { percent: 30, destinationIps: ['10.0.0.7'], namespace: 'fl-ns' },
    { percent: 30, destinationHosts: ['db.example'] },
  ],
  networkPartition: [{}, { destinationIps: ['10.0.0.0/8'] }, { destinationIps: ['10.0.0.7'] }],
  networkPortBlock: [{ destinationPorts: [443] }, { destinationPorts: [443], destinationIps: ['10.0.0.7'] }],
  networkRateLimit: [{ rate: '1mbit' }, { rate: '1mbit', destinationIps: ['10.0.0.7'], namespace: 'fl-ns' }],
  networkLatency: [{ latency: '100ms' }, { latency: '100ms', destinationHosts: ['api'] }],
  networkJitter: [{ jitter: '20ms' }],
  networkCorruption: [{ percent: 5 }],
  networkDuplication: [{ percent: 5 }],
  dnsError: [{ targetHostnames: ['api.example.com'] }],
  dnsSpoof: [{ spoofMap: { 'api.example.com': '10.0.0.9' } }],
};

packContract(pack, {
  samples: Object.fromEntries(
    Object.entries(samples).map(([name, s]) => [faults[name as keyof typeof faults].kind, s as never]),
  ),
});

/** `linux/network-loss` → `networkLoss`: the name of a fault's helper. */
const helperName = (kind: string) =>
  kind.replace(/^linux\//, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

describe('@faultline/faults-linux pack', () => {
  it('registers every fault of its list, and the probes of their health checks, under the package name', () => {
    const reg = new Registry().register(pack);
    expect(pack.name).toBe('@faultline/faults-linux');
    expect(pack.faults).toEqual(Object.values(faults));
    for (const f of pack.faults) expect(reg.fault(f.kind).pack).toBe('@faultline/faults-linux');
    expect(reg.probeKinds()).toEqual([
      'probe/host-reachable',
      'probe/infra-responsive',
      'probe/process-alive',
    ]);
  });

  it('each fault of the list is keyed by the name of its helper, and has one', () => {
    for (const [name, f] of Object.entries(faults)) expect(helperName(f.kind), f.kind).toBe(name);
    expect(Object.keys(linux).sort()).toEqual(Object.keys(faults).sort());
    for (const f of Object.values(faults)) expect(f.kind).toMatch(/^linux\/[a-z]+(-[a-z]+)*$/);
  });

  it('helpers validate where the spec is written', () => {
    expect(linux.cpuStress({ load: 80 })).toEqual({ kind: 'linux/cpu-stress', tunables: { load: 80 } });
    expect(linux.cpuStress()).toEqual({ kind: 'linux/cpu-stress', tunables: {} });
    expect(linux.networkLoss({ percent: 30 })).toEqual({
      kind: 'linux/network-loss',
      tunables: { percent: 30 },
    });
    expect(() => linux.cpuStress({ load: 150 })).toThrow(/FL_TUNABLES/);
    expect(() => linux.diskFill({ path: '/etc', size: '1GiB' })).toThrow(/FL_TUNABLES/);
    // a string, as '30%' is: the type lets it through, the schema refuses it where it is written
    expect(() => linux.networkLoss({ percent: 'x' })).toThrow(/FL_TUNABLES/);
  });

  it('helpers are typed by the tunables of their fault (npm run typecheck checks these lines)', () => {
    // @ts-expect-error percent is a number or a string
    expect(() => linux.networkLoss({ percent: true })).toThrow(/FL_TUNABLES/);
    // @ts-expect-error a tunable network-loss does not have
    expect(() => linux.networkLoss({ percent: 30, pct: 3 })).toThrow(/FL_TUNABLES/);
    // @ts-expect-error percent is required
    expect(() => linux.networkLoss()).toThrow(/FL_TUNABLES/);
    // @ts-expect-error a size is a number or a string
    expect(() => linux.memoryStress({ size: [] })).toThrow(/FL_TUNABLES/);
    // every tunable of cpu-stress is optional: no argument at all
    expect(linux.cpuStress().kind).toBe('linux/cpu-stress');
  });

  it('doctor reports every fault kind with a reason when it is not available', async () => {
    const r = await doctor();
    expect(r.faults.map((f) => f.kind).sort()).toEqual(pack.faults.map((f) => f.kind).sort());
    for (const f of r.faults) if (!f.available) expect(f.reason).toBeTruthy();
    expect(formatDoctor(r)).toContain('| linux/cpu-stress |');
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

  it('registered alone, it runs its faults with their default health checks', {
    timeout: 60_000,
  }, async () => {
    // what a user does first: `packs: [linuxPack]` and nothing else (issue #11: this was FL_UNKNOWN_KIND)
    await withNetnsPair('flh', async (pair) => {
      const stateDir = await mkdtemp('/tmp/flc-rt-');
      const runtime = await quietRuntimeOf([pack], stateDir);
      const s = spawnSleeper();
      try {
        const spec = experiment('flc the pack alone')
          .fault(
            linux.networkLoss({
              percent: 30,
              namespace: pair.a,
              interfaces: [pair.vethA],
              destinationIps: [pair.ipB],
            }),
            { id: 'loss', duration: '300ms' },
          )
          .fault(linux.processPause({ pids: [s.pid] }), { id: 'pause', duration: '300ms' })
          .fault(linux.cpuStress({ load: 10, workers: 1, maxDuration: '30s' }), {
            id: 'cpu',
            duration: '300ms',
          })
          .build();
        const result = await runtime.run(spec).result;
        expect(result.error).toBeUndefined();
        expect(result.verdict).toBe('Pass');
        expect(result.probes.map((p) => [p.stepId, p.kind, p.mode, p.runs, p.passed])).toEqual([
          ['loss', 'probe/host-reachable', 'Edge', 2, true],
          ['pause', 'probe/process-alive', 'Edge', 2, true],
          ['cpu', 'probe/infra-responsive', 'Edge', 2, true],
        ]);
        expect(result.reverts.every((r) => r.ok)).toBe(true);
      } finally {
        await runtime.close();
        await s.stop();
        await rm(stateDir, { recursive: true, force: true });
      }
    });
  });
});
