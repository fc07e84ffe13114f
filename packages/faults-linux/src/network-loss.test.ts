import { parseTunables } from '@faultline/core';
import { faultContract } from '@faultline/core/testing';
import { describe, expect, it } from 'vitest';
import { networkLoss } from './network-loss.js';
import { faultCtx, measureUdpLoss, pairSetup, withNetnsPair } from './testing/netns.js';

faultContract(networkLoss, {
  pack: '@faultline/faults-linux',
  setup: pairSetup('flb', (p) => ({ namespace: p.a, percent: 30 })),
});

describe.concurrent('linux/network-loss effect', () => {
  it('drops about the asked share of UDP datagrams, with no error to the sender, and stops on revert', {
    timeout: 60_000,
  }, async () => {
    await withNetnsPair('flb', async (pair) => {
      const ctx = await faultCtx(
        parseTunables(networkLoss, { namespace: pair.a, percent: 30, destinationIps: [pair.ipB] }),
        'loss',
      );
      const receipt = await networkLoss.inject(ctx);
      try {
        expect(receipt.interfaces).toEqual([pair.vethA]);
        const during = await measureUdpLoss(pair, { from: pair.a, to: pair.b, host: pair.ipB, count: 600 });
        console.log(
          `network-loss 30% egress: ${during.lossPercent.toFixed(1)}% of ${during.sent} datagrams lost, ${during.errors} send errors`,
        );
        expect(during.lossPercent).toBeGreaterThan(20);
        expect(during.lossPercent).toBeLessThan(40);
        expect(during.errors, 'silent: the sender sees no error').toBe(0);
      } finally {
        await networkLoss.revert(receipt, ctx);
      }
      const after = await measureUdpLoss(pair, { from: pair.a, to: pair.b, host: pair.ipB, count: 200 });
      expect(after.lossPercent).toBeLessThan(3);
    });
  });

  it('ingress loss of 60% drops about 60% of the echoes', { timeout: 60_000 }, async () => {
    await withNetnsPair('flb', async (pair) => {
      const ctx = await faultCtx(
        parseTunables(networkLoss, {
          namespace: pair.a,
          percent: '60%',
          direction: 'ingress',
          protocol: 'udp',
        }),
        'lossin',
      );
      const receipt = await networkLoss.inject(ctx);
      try {
        const during = await measureUdpLoss(pair, { from: pair.a, to: pair.b, host: pair.ipB, count: 600 });
        console.log(`network-loss 60% ingress: ${during.lossPercent.toFixed(1)}% lost`);
        expect(during.lossPercent).toBeGreaterThan(50);
        expect(during.lossPercent).toBeLessThan(70);
      } finally {
        await networkLoss.revert(receipt, ctx);
      }
    });
  });

  it('100% is a plain drop (nft rejects mod 100 < 100), and 0% loads', { timeout: 30_000 }, async () => {
    await withNetnsPair('flb', async (pair) => {
      for (const percent of [100, 0]) {
        const ctx = await faultCtx(parseTunables(networkLoss, { namespace: pair.a, percent }), `p${percent}`);
        const receipt = await networkLoss.inject(ctx);
        try {
          const r = await measureUdpLoss(pair, { from: pair.a, to: pair.b, host: pair.ipB, count: 100 });
          expect(r.lossPercent).toBe(percent);
        } finally {
          await networkLoss.revert(receipt, ctx);
        }
      }
    });
  });

  it('a name that does not resolve fails inject and leaves nothing', async () => {
    await withNetnsPair('flb', async (pair) => {
      const ctx = await faultCtx(
        parseTunables(networkLoss, {
          namespace: pair.a,
          percent: 10,
          destinationHosts: ['no-such-host.invalid'],
        }),
        'badhost',
      );
      await expect(networkLoss.inject(ctx)).rejects.toMatchObject({ code: 'FL_INJECT' });
      expect(await networkLoss.present!(undefined, ctx)).toBe(false);
    });
  });

  it('destinationHosts resolve inside the namespace and are recorded in the receipt', async () => {
    await withNetnsPair('flb', async (pair) => {
      await pair.writeEtc(pair.a, 'hosts', `127.0.0.1 localhost\n${pair.ipB} peer-b.flb.test\n`);
      const ctx = await faultCtx(
        parseTunables(networkLoss, {
          namespace: pair.a,
          percent: 100,
          destinationHosts: ['peer-b.flb.test'],
        }),
        'host',
      );
      const receipt = await networkLoss.inject(ctx);
      try {
        expect(receipt.resolved).toEqual({ 'peer-b.flb.test': [pair.ipB] });
        expect(
          (await measureUdpLoss(pair, { from: pair.a, to: pair.b, host: pair.ipB, count: 50 })).lossPercent,
        ).toBe(100);
      } finally {
        await networkLoss.revert(receipt, ctx);
      }
    });
  });
});
