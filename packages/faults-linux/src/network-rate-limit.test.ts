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
  })),
});

/** Mbit/s received by an iperf3 server in `to`, sent from `from` for 2 s. */
async function iperf(pair: NetnsPair, from: string, to: string, host: string): Promise<number> {
  const port = String(5201 + Math.floor(Math.random() * 500));
  const srv = pair.spawn(to, 'iperf3', ['-s', '-1', '--forceflush', '-B', host, '-p', port]);
  try {
    await waitForLine(srv, /Server listening/);
    const r = await pair.exec(from, 'iperf3', ['-c', host, '-p', port, '-t', '2', '-J'], {
      timeoutMs: 30_000,
    });
    const j = JSON.parse(r.stdout) as { end: { sum_received: { bits_per_second: number } } };
    return j.end.sum_received.bits_per_second / 1e6;
  } finally {
    srv.kill('SIGKILL');
  }
}

describe('rateLimitShape', () => {
  it('builds tbf for all traffic and htb class args for destinations', () => {
    expect(rateLimitShape({ rate: '1mbit', latency: '400ms' })).toEqual({
      qdisc: ['tbf', 'rate', '1000000bit', 'burst', '4096', 'latency', '400ms'],
      classArgs: ['rate', '1000000bit', 'ceil', '1000000bit', 'burst', '4096'],
    });
    expect(rateLimitShape({ rate: '10mbps', burst: '1MiB', latency: '1s' }).qdisc).toEqual([
      'tbf',
      'rate',
      '80000000bit',
      'burst',
      '1048576',
      'latency',
      '1000ms',
    ]);
  });
});

describe.concurrent('linux/network-rate-limit effect', () => {
  it('egress tbf caps throughput within 15% and revert restores the default qdisc', {
    timeout: 90_000,
  }, async () => {
    await withNetnsPair('flb', async (pair) => {
      const ctx = await faultCtx(
        parseTunables(networkRateLimit, { namespace: pair.a, rate: '4mbit' }),
        'rate',
      );
      const receipt = await networkRateLimit.inject(ctx);
      try {
        const mbit = await iperf(pair, pair.a, pair.b, pair.ipB);
        console.log(`network-rate-limit 4mbit egress: ${mbit.toFixed(2)} Mbit/s`);
        expect(mbit).toBeGreaterThan(4 * 0.85);
        expect(mbit).toBeLessThan(4 * 1.15);
      } finally {
        await networkRateLimit.revert(receipt, ctx);
      }
      const q = await pair.exec(pair.a, 'tc', ['-j', 'qdisc', 'show', 'dev', pair.vethA, 'root']);
      expect(JSON.parse(q.stdout)[0]).toMatchObject({ kind: 'noqueue', handle: '0:' });
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
        const limited = await iperf(pair, pair.a, pair.b, pair.ipB);
        const other = await iperf(pair, pair.a, pair.b, ipB2);
        const ingress = await iperf(pair, pair.b, pair.a, pair.ipA);
        console.log(
          `network-rate-limit 4mbit htb: to peer ${limited.toFixed(2)}, to other ${other.toFixed(0)}, ingress ${ingress.toFixed(2)} Mbit/s`,
        );
        expect(limited).toBeGreaterThan(4 * 0.85);
        expect(limited).toBeLessThan(4 * 1.15);
        expect(other).toBeGreaterThan(50);
        expect(ingress).toBeGreaterThan(4 * 0.85);
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
