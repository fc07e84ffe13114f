import { parseTunables } from '@faultline/core';
import { faultContract } from '@faultline/core/testing';
import { describe, expect, it } from 'vitest';
import { networkPartition } from './network-partition.js';
import { faultCtx, pairSetup, tcpConnect, tcpServer, withNetnsPair } from './testing/netns.js';

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
});
