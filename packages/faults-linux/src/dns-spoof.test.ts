import { parseTunables } from '@faultline/core';
import { faultContract } from '@faultline/core/testing';
import { describe, expect, it } from 'vitest';
import { dnsSpoof } from './dns-spoof.js';
import { dig, startUpstream } from './testing/dns.js';
import { faultCtx, pairSetup, withNetnsPair } from './testing/netns.js';

faultContract(dnsSpoof, {
  pack: '@faultline/faults-linux',
  setup: pairSetup('flb', (p) => ({
    namespace: p.a,
    upstreamServer: p.ipB,
    spoofMap: { 'example.test': '10.7.7.7' },
  })),
});

describe.concurrent('linux/dns-spoof effect', () => {
  it('the named host resolves to the asked address, others still resolve, all back after revert', {
    timeout: 60_000,
  }, async () => {
    await withNetnsPair('flb', async (pair) => {
      await startUpstream(pair);
      expect(await dig(pair, 'example.test')).toBe('10.9.9.1');
      const ctx = await faultCtx(
        parseTunables(dnsSpoof, {
          namespace: pair.a,
          upstreamServer: pair.ipB,
          spoofMap: { 'example.test': ['10.7.7.7', '10.7.7.8'] },
        }),
        'spoof',
      );
      const receipt = await dnsSpoof.inject(ctx);
      try {
        expect((await dig(pair, 'example.test')).split(',').sort()).toEqual(['10.7.7.7', '10.7.7.8']);
        expect(await dig(pair, 'example.test', { tcp: true }), 'over TCP too').toMatch(/10\.7\.7\.7/);
        expect(await dig(pair, 'other.test'), 'forwarded upstream').toBe('10.9.9.2');
      } finally {
        await dnsSpoof.revert(receipt, ctx);
      }
      expect(await dig(pair, 'example.test')).toBe('10.9.9.1');
    });
  });

  it('substring matching spoofs every name containing the pattern', { timeout: 60_000 }, async () => {
    await withNetnsPair('flb', async (pair) => {
      await startUpstream(pair);
      const ctx = await faultCtx(
        parseTunables(dnsSpoof, {
          namespace: pair.a,
          upstreamServer: pair.ipB,
          matchScheme: 'substring',
          spoofMap: { example: '10.7.7.9' },
        }),
        'sub',
      );
      const receipt = await dnsSpoof.inject(ctx);
      try {
        expect(await dig(pair, 'api.example.test')).toBe('10.7.7.9');
        expect(await dig(pair, 'other.test')).toBe('10.9.9.2');
      } finally {
        await dnsSpoof.revert(receipt, ctx);
      }
    });
  });
});
