import { parseTunables } from '@faultline/core';
import { faultContract } from '@faultline/core/testing';
import { describe, expect, it } from 'vitest';
import { corruptionNetem, networkCorruption } from '../network-corruption.js';
import { duplicationNetem, networkDuplication } from '../network-duplication.js';
import { jitterNetem, networkJitter } from '../network-jitter.js';
import { latencyNetem, networkLatency } from '../network-latency.js';
import { rateLimitShape } from '../network-rate-limit.js';
import { faultCtx, pairSetup, withNetnsPair } from '../testing/netns.js';
import { readU32 } from '../testing/tc-filters.js';
import { netemCapability, tcCapability } from './capability.js';
import { tcFault } from './tc-fault.js';

const cap = await netemCapability('linux/network-latency and the other netem faults');
const skip = cap.available ? undefined : cap.reason;
if (skip) console.warn(`[netem] effect tests skipped: ${skip}`);

const cases = [
  [networkLatency, { latency: '100ms', jitter: '20ms', correlation: 25 }],
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
    expect(latencyNetem({ latency: '1s', jitter: '0ms', correlation: 0 })).toEqual(['delay', '1000ms']);
    // jitter as Harness defines it: the largest deviation, uniform (no distribution table)
    expect(latencyNetem({ latency: '100ms', jitter: '20ms', correlation: 25 })).toEqual([
      'delay',
      '100ms',
      '20ms',
      '25%',
    ]);
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
  it('takes the targeting tunables of the nft faults, with the same schemas', () => {
    for (const [fault, extra] of cases) {
      expect(
        parseTunables(fault as never, {
          ...extra,
          sourcePorts: ['!22'],
          destinationPorts: ['8000-8080'],
          protocol: 'tcp',
        }),
      ).toMatchObject({ whitelistSsh: true, protocol: 'tcp', direction: 'egress' });
      expect(() =>
        parseTunables(fault as never, { ...extra, protocol: 'icmp', destinationPorts: [80] }),
      ).toThrow(/ports cannot be combined with protocol icmp/);
    }
  });
});

describe.concurrent('netem faults on this kernel', () => {
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

  // The filter side of every netem fault, for real: the same tunables schema and tree builder with a
  // tbf where netem would go (the one part this kernel lacks), read back as the kernel reports it.
  for (const [fault, extra] of cases) {
    it(`${fault.kind}: its u32 tree (ports, protocol, destination, SSH exempt) as the kernel reports it`, {
      timeout: 30_000,
    }, async () => {
      const twin = tcFault({
        kind: `${fault.kind}-tree`,
        summary: 'the netem fault with a tbf leaf',
        tunables: fault.tunables,
        check: tcCapability,
        shape: () => rateLimitShape({ rate: '1gbit', latency: '400ms' }),
      });
      await withNetnsPair('flb', async (pair) => {
        const ctx = await faultCtx(
          parseTunables(twin as never, {
            ...extra,
            namespace: pair.a,
            destinationIps: [pair.ipB],
            destinationPorts: [8080],
            protocol: 'tcp',
          }),
          'tree',
        );
        const receipt = await twin.inject(ctx as never);
        try {
          const h = receipt.handle;
          const qdiscs = JSON.parse(
            (await pair.exec(pair.a, 'tc', ['-j', 'qdisc', 'show', 'dev', pair.vethA])).stdout,
          );
          expect(qdiscs).toEqual([
            expect.objectContaining({ kind: 'htb', handle: h, root: true }),
            expect.objectContaining({ kind: 'tbf', parent: `${h}1` }),
          ]);
          const nodes = await readU32(pair, pair.a, pair.vethA, h);
          const ipHex = pair.ipB
            .split('.')
            .map((n) => Number(n).toString(16).padStart(2, '0'))
            .join('');
          // the marker: never matches (IP version 0), carries the injection's cookie
          expect(nodes[0]).toEqual({
            pref: 1,
            protocol: 'ip',
            keys: ['00000000/f0000000 at 0'],
            cookie: receipt.cookie,
          });
          // SSH both ways, IPv4 and IPv6, straight out (flowid = the qdisc: htb's direct flow)
          const direct = nodes.filter((n) => n.flowid === h);
          expect(direct.map((n) => `${n.protocol} ${n.keys.join(' ')}`).sort()).toEqual(
            [
              'ip 00060000/00ff0000 at 8 00160000/ffff0000 at 20',
              'ip 00060000/00ff0000 at 8 00000016/0000ffff at 20',
              'ip 00060000/00ff0000 at 8 08ae0000/ffff0000 at 20',
              'ip 00060000/00ff0000 at 8 000008ae/0000ffff at 20',
              'ipv6 00000600/0000ff00 at 4 00160000/ffff0000 at 40',
              'ipv6 00000600/0000ff00 at 4 00000016/0000ffff at 40',
              'ipv6 00000600/0000ff00 at 4 08ae0000/ffff0000 at 40',
              'ipv6 00000600/0000ff00 at 4 000008ae/0000ffff at 40',
            ].sort(),
          );
          // the target: TCP to the peer's port 8080, to the class
          expect(nodes.filter((n) => n.flowid === `${h}1`)).toEqual([
            {
              pref: 14,
              protocol: 'ip',
              flowid: `${h}1`,
              keys: [`${ipHex}/ffffffff at 16`, '00060000/00ff0000 at 8', '00001f90/0000ffff at 20'],
            },
          ]);
        } finally {
          await twin.revert(receipt, ctx as never);
        }
      });
    });
  }
});
