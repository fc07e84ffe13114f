import { parseTunables } from '@faultline/core';
import { faultContract } from '@faultline/core/testing';
import { describe, expect, it } from 'vitest';
import type { NftReceipt } from './net/nft-fault.js';
import { networkPartition } from './network-partition.js';
import { faultCtx, pairSetup, tcpConnect, tcpServer, withNetnsPair } from './testing/netns.js';
import { pingAndUdp, transferThrough } from './testing/protocols.js';

faultContract(networkPartition, {
  pack: '@faultline/faults-linux',
  setup: pairSetup('flb', (p) => ({ namespace: p.a, destinationIps: [p.ipB] })),
});

describe.concurrent('linux/network-partition effect', () => {
  for (const whitelistSsh of [true, false]) {
    it(`blackholes the peer; SSH (port 22) ${whitelistSsh ? 'still connects' : 'is cut too'} with whitelistSsh ${whitelistSsh}`, {
      timeout: 60_000,
    }, async () => {
      await withNetnsPair('flb', async (pair) => {
        await tcpServer(pair, pair.b, pair.ipB, 22);
        await tcpServer(pair, pair.b, pair.ipB, 8080);
        const ctx = await faultCtx(
          parseTunables(networkPartition, { namespace: pair.a, destinationIps: [pair.ipB], whitelistSsh }),
          'part',
        );
        const receipt = await networkPartition.inject(ctx);
        try {
          expect((await tcpConnect(pair, pair.a, pair.ipB, 8080, 1000)).result).toBe('timeout');
          expect((await tcpConnect(pair, pair.a, pair.ipB, 22, 1000)).result).toBe(
            whitelistSsh ? 'connected' : 'timeout',
          );
        } finally {
          await networkPartition.revert(receipt, ctx);
        }
        expect((await tcpConnect(pair, pair.a, pair.ipB, 8080)).result).toBe('connected');
      });
    });
  }

  it('ping and UDP lose everything, silently; another peer address is untouched', {
    timeout: 60_000,
  }, async () => {
    await withNetnsPair('flb', async (pair) => {
      const other = pair.ipB.replace(/\.2$/, '.3');
      await pair.exec(pair.b, 'ip', ['addr', 'add', `${other}/24`, 'dev', pair.vethB]);
      const ctx = await faultCtx(
        parseTunables(networkPartition, { namespace: pair.a, destinationIps: [pair.ipB] }),
        'proto',
      );
      const receipt = await networkPartition.inject(ctx);
      try {
        const { ping, udp, untargeted } = await pingAndUdp(pair, {
          host: pair.ipB,
          untargeted: other,
          pings: 100,
          datagrams: 200,
        });
        expect(ping.lossPercent).toBe(100);
        expect(ping.errors, 'silent: ping is not told of the drop').toBe(0);
        expect(udp.lossPercent).toBe(100);
        expect(udp.errors).toBe(0);
        expect(untargeted!.lossPercent).toBeLessThanOrEqual(1);
      } finally {
        await networkPartition.revert(receipt, ctx);
      }
    });
  });

  it('an open TCP transfer stalls and retransmits with no error, and completes once the partition heals', {
    timeout: 60_000,
  }, async () => {
    await withNetnsPair('flb', async (pair) => {
      const ctx = await faultCtx(
        parseTunables(networkPartition, { namespace: pair.a, destinationIps: [pair.ipB] }),
        'heal',
      );
      const bytes = 128 * 1024;
      const fault = {
        inject: () => networkPartition.inject(ctx),
        revert: (r: NftReceipt | undefined) => networkPartition.revert(r, ctx),
      };
      try {
        const r = await transferThrough(pair, { host: pair.ipB, bytes, healAfterMs: 1200 }, fault);
        console.log(
          `network-partition, TCP ${bytes} B: ${r.error ?? `${r.received} B`} in ${r.ms} ms, ${r.retransmitted} retransmitted`,
        );
        expect(r.error, 'a partition is silence, not an error').toBeUndefined();
        expect(r.received).toBe(bytes);
        expect(r.ms, 'it waited for the partition to heal').toBeGreaterThanOrEqual(1000);
        expect(r.retransmitted).toBeGreaterThan(0);
      } finally {
        await networkPartition.revert(undefined, ctx);
      }
    });
  });
});
