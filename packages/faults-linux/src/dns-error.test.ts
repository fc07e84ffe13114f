import { parseTunables } from '@faultline/core';
import { faultContract } from '@faultline/core/testing';
import { describe, expect, it } from 'vitest';
import { dnsError } from './dns-error.js';
import { dig, startUpstream } from './testing/dns.js';
import { faultCtx, pairSetup, withNetnsPair } from './testing/netns.js';

faultContract(dnsError, {
  pack: '@faultline/faults-linux',
  setup: pairSetup('flb', (p) => ({
    namespace: p.a,
    upstreamServer: p.ipB,
    targetHostnames: ['example.test'],
  })),
});

describe.concurrent('linux/dns-error effect', () => {
  for (const errorCode of ['NXDOMAIN', 'SERVFAIL'] as const) {
    it(`matching names get ${errorCode}, others resolve`, { timeout: 60_000 }, async () => {
      await withNetnsPair('flb', async (pair) => {
        await startUpstream(pair);
        const ctx = await faultCtx(
          parseTunables(dnsError, {
            namespace: pair.a,
            upstreamServer: pair.ipB,
            targetHostnames: ['example.test'],
            errorCode,
          }),
          'err',
        );
        const receipt = await dnsError.inject(ctx);
        try {
          expect(await dig(pair, 'example.test')).toBe(errorCode);
          expect(await dig(pair, 'other.test')).toBe('10.9.9.2');
        } finally {
          await dnsError.revert(receipt, ctx);
        }
        expect(await dig(pair, 'example.test')).toBe('10.9.9.1');
      });
    });
  }
});
