import { parseTunables } from '@faultline/core';
import { faultContract } from '@faultline/core/testing';
import { describe, expect, it } from 'vitest';
import { dnsSpoof } from './dns-spoof.js';
import { resolverScript } from './net/resolver.js';
import { faultCtx, type NetnsPair, pairSetup, waitForLine, withNetnsPair } from './testing/netns.js';

/** A stand-in upstream DNS server on the peer (port 53): example.test → 10.9.9.1, other.test → 10.9.9.2. */
export async function startUpstream(pair: NetnsPair): Promise<void> {
  const cfg = {
    name: 'flb-upstream',
    bind: pair.ipB,
    listenPort: 53,
    upstream: null,
    rules: { match: 'exact', spoof: { 'example.test': ['10.9.9.1'], 'other.test': ['10.9.9.2'] } },
  };
  await waitForLine(pair.spawn(pair.b, process.execPath, [resolverScript(), JSON.stringify(cfg)]), /ready/);
}

/** `dig` from namespace a, through whatever DNS path a has; returns the A records (or the status). */
export async function dig(pair: NetnsPair, name: string, tcp = false): Promise<string> {
  const r = await pair.exec(pair.a, 'dig', [
    `@${pair.ipB}`,
    name,
    'A',
    '+tries=1',
    '+time=2',
    ...(tcp ? ['+tcp'] : []),
  ]);
  const status = r.stdout.match(/status: (\w+)/)?.[1] ?? 'NO_ANSWER';
  const answers = [...r.stdout.matchAll(/^\S+\s+\d+\s+IN\s+A\s+(\S+)$/gm)].map((m) => m[1]);
  return status === 'NOERROR' ? answers.join(',') : status;
}

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
        expect(await dig(pair, 'example.test', true), 'over TCP too').toMatch(/10\.7\.7\.7/);
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
