import { parseTunables } from '@faultline/core';
import { faultContract } from '@faultline/core/testing';
import { describe, expect, it } from 'vitest';
import { networkPortBlock } from './network-port-block.js';
import {
  faultCtx,
  measureUdpLoss,
  pairSetup,
  tcpConnect,
  tcpServer,
  withNetnsPair,
} from './testing/netns.js';
import { pingAndUdp } from './testing/protocols.js';

faultContract(networkPortBlock, {
  pack: '@faultline/faults-linux',
  setup: pairSetup('flb', (p) => ({ namespace: p.b, sourcePorts: [8080] })),
});

describe.concurrent('linux/network-port-block effect', () => {
  it('reject (default, ingress on the server): the blocked port refuses at once, others connect', {
    timeout: 60_000,
  }, async () => {
    await withNetnsPair('flb', async (pair) => {
      await tcpServer(pair, pair.b, pair.ipB, 8080);
      await tcpServer(pair, pair.b, pair.ipB, 8081);
      const ctx = await faultCtx(
        parseTunables(networkPortBlock, { namespace: pair.b, sourcePorts: [8080] }),
        'block',
      );
      const receipt = await networkPortBlock.inject(ctx);
      try {
        const r = await tcpConnect(pair, pair.a, pair.ipB, 8080);
        expect(r.result).toBe('ECONNREFUSED');
        expect(r.ms).toBeLessThan(1000);
        expect((await tcpConnect(pair, pair.a, pair.ipB, 8081)).result).toBe('connected');
      } finally {
        await networkPortBlock.revert(receipt, ctx);
      }
      expect((await tcpConnect(pair, pair.a, pair.ipB, 8080)).result).toBe('connected');
    });
  });

  it('drop on egress: connects to the port hang; a port range and an exclusion work', {
    timeout: 60_000,
  }, async () => {
    await withNetnsPair('flb', async (pair) => {
      await tcpServer(pair, pair.b, pair.ipB, 8080);
      await tcpServer(pair, pair.b, pair.ipB, 8085);
      const t = {
        namespace: pair.a,
        destinationPorts: ['8000-8090', '!8085'],
        action: 'drop',
        direction: 'egress',
      } as const;
      const ctx = await faultCtx(parseTunables(networkPortBlock, t), 'drop');
      const receipt = await networkPortBlock.inject(ctx);
      try {
        expect(receipt.family).toBe('netdev');
        expect((await tcpConnect(pair, pair.a, pair.ipB, 8080, 1000)).result).toBe('timeout');
        expect((await tcpConnect(pair, pair.a, pair.ipB, 8085)).result).toBe('connected');
      } finally {
        await networkPortBlock.revert(receipt, ctx);
      }
    });
  });

  it('drop on egress, protocol all: UDP and TCP to the port vanish silently; ping and other ports are untouched', {
    timeout: 60_000,
  }, async () => {
    await withNetnsPair('flb', async (pair) => {
      await tcpServer(pair, pair.b, pair.ipB, 7007);
      await tcpServer(pair, pair.b, pair.ipB, 8081);
      const t = {
        namespace: pair.a,
        destinationPorts: [7007],
        protocol: 'all',
        action: 'drop',
        direction: 'egress',
      } as const;
      const ctx = await faultCtx(parseTunables(networkPortBlock, t), 'dropall');
      const receipt = await networkPortBlock.inject(ctx);
      try {
        expect(receipt.sink).toMatch(/^faultline[0-9a-f]{6}$/);
        const [{ udp, ping }, udpOther] = await Promise.all([
          pingAndUdp(pair, { host: pair.ipB, udpPort: 7007, pings: 100, datagrams: 200 }),
          measureUdpLoss(pair, { from: pair.a, to: pair.b, host: pair.ipB, port: 7008, count: 200 }),
        ]);
        expect(udp.lossPercent).toBe(100);
        expect(udp.errors, 'silent').toBe(0);
        expect(udpOther.lossPercent).toBeLessThanOrEqual(1);
        expect(ping.lossPercent, 'ICMP has no port: not targeted').toBeLessThanOrEqual(1);
        expect((await tcpConnect(pair, pair.a, pair.ipB, 7007, 1000)).result).toBe('timeout');
        expect((await tcpConnect(pair, pair.a, pair.ipB, 8081)).result).toBe('connected');
      } finally {
        await networkPortBlock.revert(receipt, ctx);
      }
      expect((await tcpConnect(pair, pair.a, pair.ipB, 7007)).result).toBe('connected');
    });
  });
});
