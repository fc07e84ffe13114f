import { parseTunables } from '@faultline/core';
import { faultContract } from '@faultline/core/testing';
import { describe, expect, it } from 'vitest';
import { corruptionNetem, networkCorruption } from '../network-corruption.js';
import { duplicationNetem, networkDuplication } from '../network-duplication.js';
import { jitterNetem, networkJitter } from '../network-jitter.js';
import { latencyNetem, networkLatency } from '../network-latency.js';
import { faultCtx, pairSetup, withNetnsPair } from '../testing/netns.js';
import { netemCapability } from './capability.js';
import { netemShape } from './netem.js';
import { shapeBatch } from './tc.js';

const cap = await netemCapability('linux/network-latency and the other netem faults');
const skip = cap.available ? undefined : cap.reason;
if (skip) console.warn(`[netem] effect tests skipped: ${skip}`);

const cases = [
  [networkLatency, { latency: '100ms' }],
  [networkJitter, { latency: '100ms', jitter: '20ms' }],
  [networkCorruption, { percent: 5 }],
  [networkDuplication, { percent: 5 }],
] as const;

for (const [fault, extra] of cases) {
  faultContract(fault, {
    pack: '@faultline/faults-linux',
    skip,
    setup: pairSetup('flb', (p) => ({ namespace: p.a, ...extra })),
  });
}

describe('netem argv (pure)', () => {
  it('maps tunables to tc netem arguments', () => {
    expect(latencyNetem({ latency: '1s' })).toEqual(['delay', '1000ms']);
    expect(jitterNetem({ latency: '100ms', jitter: '20ms', correlation: 25 })).toEqual([
      'delay',
      '100ms',
      '20ms',
      '25%',
      'distribution',
      'normal',
    ]);
    expect(corruptionNetem({ percent: '12.5%' })).toEqual(['corrupt', '12.5%']);
    expect(duplicationNetem({ percent: 3 })).toEqual(['duplicate', '3%']);
  });
  it('puts netem at the root, or under an htb class for named destinations', () => {
    const s = netemShape(['delay', '100ms']);
    expect(shapeBatch('eth0', 'f123:', s, [], 'dst')).toEqual([
      'qdisc add dev eth0 root handle f123: netem delay 100ms',
    ]);
    expect(shapeBatch('eth0', 'f123:', s, ['10.0.0.7', 'fd00::/64'], 'dst')).toEqual([
      'qdisc add dev eth0 root handle f123: htb',
      'class add dev eth0 parent f123: classid f123:1 htb rate 100gbit',
      'qdisc add dev eth0 parent f123:1 netem delay 100ms',
      'filter add dev eth0 parent f123: protocol ip prio 1 u32 match ip dst 10.0.0.7 flowid f123:1',
      'filter add dev eth0 parent f123: protocol ipv6 prio 1 u32 match ip6 dst fd00::/64 flowid f123:1',
    ]);
  });
});

describe.concurrent('netem on this kernel', () => {
  it('check() says precisely what is missing and what to use instead', async () => {
    const c = await networkLatency.check!({
      signal: new AbortController().signal,
      log: (await faultCtx({})).log,
    });
    console.log(`netem check: ${JSON.stringify(c)}`);
    if (!c.available) {
      expect(c.reason).toMatch(
        /linux\/network-latency needs the kernel's sch_netem \(CONFIG_NET_SCH_NETEM\)/,
      );
      expect(c.fix).toMatch(/linux\/network-rate-limit/);
      expect(c.fix).toMatch(/@faultline\/proxy/);
    }
  });
  it.skipIf(!skip)('without sch_netem, inject fails with FL_CAPABILITY and leaves nothing', async () => {
    await withNetnsPair('flb', async (pair) => {
      for (const [fault, extra] of cases) {
        const ctx = await faultCtx(
          parseTunables(fault as never, { namespace: pair.a, ...extra, destinationIps: [pair.ipB] }),
          'netem',
        );
        await expect(fault.inject(ctx as never)).rejects.toMatchObject({ code: 'FL_CAPABILITY' });
        expect(await fault.present!(undefined, ctx as never)).toBe(false);
      }
    });
  });
});
