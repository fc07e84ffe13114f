import { parseTunables } from '@faultline/core';
import { faultContract } from '@faultline/core/testing';
import { describe, expect, it } from 'vitest';
import { networkRateLimit, rateLimitShape } from './network-rate-limit.js';
import { faultCtx, type NetnsPair, pairSetup, waitForLine, withNetnsPair } from './testing/netns.js';

faultContract(networkRateLimit, {
  pack: '@faultline/faults-linux',
  setup: pairSetup('flb', (p) => ({ namespace: p.a, rate: '1mbit' })),
});
faultContract(networkRateLimit, {
  pack: '@faultline/faults-linux',
  setup: pairSetup('flb', (p) => ({
    namespace: p.a,
    rate: '1mbit',
    direction: 'both',
    destinationIps: [p.ipB],
    destinationPorts: ['5000-5999', '!5500'],
  })),
});

// bands: the upper bound is the cap (a missing cap shows as 100+); the lower one is loose, as a busy
// machine starves a flow below its cap, which is not what these tests are about
/** Mbit/s received by an iperf3 server in `to`, sent from `from` for 2 s (`bitrate` caps the sender). */
async function iperf(
  pair: NetnsPair,
  o: { from: string; to: string; host: string; port?: number; bitrate?: string },
): Promise<number> {
  const port = String(o.port ?? 5201 + Math.floor(Math.random() * 500));
  const srv = pair.spawn(o.to, 'iperf3', ['-s', '-1', '--forceflush', '-B', o.host, '-p', port]);
  try {
    await waitForLine(srv, /Server listening/);
    const r = await pair.exec(
      o.from,
      'iperf3',
      ['-c', o.host, '-p', port, '-t', '2', '-J', ...(o.bitrate ? ['-b', o.bitrate] : [])],
      { timeoutMs: 30_000 },
    );
    const j = JSON.parse(r.stdout) as { end: { sum_received: { bits_per_second: number } } };
    return j.end.sum_received.bits_per_second / 1e6;
  } finally {
    srv.kill('SIGKILL');
  }
}

describe('rateLimitShape', () => {
  it('builds the tbf under the class: latency or limit, and a peak bucket', () => {
    expect(rateLimitShape({ rate: '1mbit', latency: '400ms' })).toEqual({
      leaf: ['tbf', 'rate', '1000000bit', 'burst', '4096', 'latency', '400ms'],
    });
    expect(rateLimitShape({ rate: '10mbps', burst: '1MiB', latency: '1s' }).leaf).toEqual([
      'tbf',
      'rate',
      '80000000bit',
      'burst',
      '1048576',
      'latency',
      '1000ms',
    ]);
    expect(
      rateLimitShape({ rate: '1mbit', latency: '400ms', limit: '64KiB', peakRate: '2mbit', minBurst: '3KiB' })
        .leaf,
    ).toEqual([
      'tbf',
      'rate',
      '1000000bit',
      'burst',
      '4096',
      'limit',
      '65536',
      'peakrate',
      '2000000bit',
      'minburst',
      '3072',
    ]);
  });
  it('refuses a peak rate that is not faster than the rate', () => {
    expect(() => parseTunables(networkRateLimit, { rate: '2mbit', peakRate: '1mbit' })).toThrow(/peakRate/);
  });
});

describe.concurrent('linux/network-rate-limit effect', () => {
  it('egress caps throughput within 15% and revert restores the default qdisc', {
    timeout: 90_000,
  }, async () => {
    await withNetnsPair('flb', async (pair) => {
      const ctx = await faultCtx(
        parseTunables(networkRateLimit, { namespace: pair.a, rate: '4mbit' }),
        'rate',
      );
      const receipt = await networkRateLimit.inject(ctx);
      try {
        const mbit = await iperf(pair, { from: pair.a, to: pair.b, host: pair.ipB });
        console.log(`network-rate-limit 4mbit egress: ${mbit.toFixed(2)} Mbit/s`);
        expect(mbit).toBeGreaterThan(4 * 0.75);
        expect(mbit).toBeLessThan(4 * 1.15);
      } finally {
        await networkRateLimit.revert(receipt, ctx);
      }
      const q = await pair.exec(pair.a, 'tc', ['-j', 'qdisc', 'show', 'dev', pair.vethA, 'root']);
      expect(JSON.parse(q.stdout)[0]).toMatchObject({ kind: 'noqueue', handle: '0:' });
    });
  });

  it('two iperf3 flows at once: the targeted port is capped, the other is not', {
    timeout: 90_000,
  }, async () => {
    await withNetnsPair('flb', async (pair) => {
      const [capped, free] = [5301, 5302];
      const ctx = await faultCtx(
        parseTunables(networkRateLimit, { namespace: pair.a, rate: '4mbit', destinationPorts: [capped] }),
        'port',
      );
      const receipt = await networkRateLimit.inject(ctx);
      try {
        const [slow, fast] = await Promise.all([
          iperf(pair, { from: pair.a, to: pair.b, host: pair.ipB, port: capped }),
          // paced, so the free flow does not starve the machine; still 25× the cap
          iperf(pair, { from: pair.a, to: pair.b, host: pair.ipB, port: free, bitrate: '100M' }),
        ]);
        console.log(
          `network-rate-limit 4mbit on port ${capped}: ${slow.toFixed(2)}; port ${free}: ${fast.toFixed(1)} Mbit/s`,
        );
        expect(slow).toBeGreaterThan(4 * 0.75);
        expect(slow).toBeLessThan(4 * 1.15);
        expect(fast, 'the other port is not shaped').toBeGreaterThan(50);
      } finally {
        await networkRateLimit.revert(receipt, ctx);
      }
    });
  });

  it('htb limits only the named destination; ingress through an ifb caps what arrives', {
    timeout: 90_000,
  }, async () => {
    await withNetnsPair('flb', async (pair) => {
      const ipB2 = pair.ipB.replace(/\.2$/, '.3');
      await pair.exec(pair.b, 'ip', ['addr', 'add', `${ipB2}/24`, 'dev', pair.vethB]);
      const ctx = await faultCtx(
        parseTunables(networkRateLimit, {
          namespace: pair.a,
          rate: '4mbit',
          destinationIps: [pair.ipB],
          direction: 'both',
        }),
        'htb',
      );
      const receipt = await networkRateLimit.inject(ctx);
      try {
        expect(Object.keys(receipt.ifbs)).toEqual([pair.vethA]);
        const limited = await iperf(pair, { from: pair.a, to: pair.b, host: pair.ipB });
        const other = await iperf(pair, { from: pair.a, to: pair.b, host: ipB2, bitrate: '100M' });
        const ingress = await iperf(pair, { from: pair.b, to: pair.a, host: pair.ipA });
        console.log(
          `network-rate-limit 4mbit htb: to peer ${limited.toFixed(2)}, to other ${other.toFixed(0)}, ingress ${ingress.toFixed(2)} Mbit/s`,
        );
        expect(limited).toBeGreaterThan(4 * 0.75);
        expect(limited).toBeLessThan(4 * 1.15);
        expect(other).toBeGreaterThan(50);
        expect(ingress).toBeGreaterThan(4 * 0.75);
        expect(ingress).toBeLessThan(4 * 1.15);
      } finally {
        await networkRateLimit.revert(receipt, ctx);
      }
    });
  });

  it('refuses to replace a root qdisc it did not make, and leaves it as it was', {
    timeout: 30_000,
  }, async () => {
    await withNetnsPair('flb', async (pair) => {
      await pair.exec(pair.a, 'tc', [
        'qdisc',
        'add',
        'dev',
        pair.vethA,
        'root',
        'handle',
        '1:',
        'tbf',
        'rate',
        '7mbit',
        'burst',
        '32kbit',
        'latency',
        '50ms',
      ]);
      const ctx = await faultCtx(
        parseTunables(networkRateLimit, { namespace: pair.a, rate: '1mbit' }),
        'foreign',
      );
      await expect(networkRateLimit.inject(ctx)).rejects.toThrow(/did not make: refusing to replace it/);
      const q = await pair.exec(pair.a, 'tc', ['-j', 'qdisc', 'show', 'dev', pair.vethA, 'root']);
      expect(JSON.parse(q.stdout)[0]).toMatchObject({ kind: 'tbf', handle: '1:' });
      await networkRateLimit.revert(undefined, ctx);
      expect(
        JSON.parse(
          (await pair.exec(pair.a, 'tc', ['-j', 'qdisc', 'show', 'dev', pair.vethA, 'root'])).stdout,
        )[0].handle,
      ).toBe('1:');
      await pair.exec(pair.a, 'tc', ['qdisc', 'del', 'dev', pair.vethA, 'root']);
    });
  });

  it('inject twice with the same ids is idempotent', { timeout: 30_000 }, async () => {
    await withNetnsPair('flb', async (pair) => {
      const ctx = await faultCtx(
        parseTunables(networkRateLimit, { namespace: pair.a, rate: '1mbit', destinationIps: [pair.ipB] }),
        'twice',
      );
      await networkRateLimit.inject(ctx);
      const receipt = await networkRateLimit.inject(ctx);
      await networkRateLimit.revert(receipt, ctx);
      expect(await networkRateLimit.present!(receipt, ctx)).toBe(false);
    });
  });
});
