// Every network fault fails inject, naming what is missing, when its interface or namespace does not
// exist — before it changes anything (a netdev hook on a missing device loads silently and would
// report success while doing nothing).
import { parseTunables } from '@faultline/core';
import { describe, expect, it } from 'vitest';
import { faults } from '../faults.js';
import { faultCtx, withNetnsPair } from '../testing/netns.js';

const { networkLoss, networkPartition, networkPortBlock, networkRateLimit, dnsError, dnsSpoof } = faults;
const { networkLatency, networkJitter, networkCorruption, networkDuplication } = faults;

const withInterfaces = [
  ['linux/network-loss', networkLoss, { percent: 100 }],
  ['linux/network-partition', networkPartition, {}],
  ['linux/network-port-block (reject)', networkPortBlock, { destinationPorts: [80] }],
  ['linux/network-port-block (drop)', networkPortBlock, { destinationPorts: [80], action: 'drop' }],
  ['linux/network-rate-limit', networkRateLimit, { rate: '1mbit', direction: 'both' }],
  ['linux/network-latency', networkLatency, { latency: '10ms' }],
  ['linux/network-jitter', networkJitter, { jitter: '10ms' }],
  ['linux/network-corruption', networkCorruption, { percent: 1 }],
  ['linux/network-duplication', networkDuplication, { percent: 1 }],
] as const;
const dns = [
  ['linux/dns-error', dnsError, { targetHostnames: ['a.test'] }],
  ['linux/dns-spoof', dnsSpoof, { spoofMap: { 'a.test': '10.1.1.1' } }],
] as const;

describe.concurrent('a missing target fails inject with FL_INJECT naming it', () => {
  it.each(withInterfaces)('%s: interface eth9', { timeout: 30_000 }, async (_kind, fault, extra) => {
    await withNetnsPair('flm', async (pair) => {
      const ctx = await faultCtx(
        parseTunables(fault as never, { ...extra, namespace: pair.a, interfaces: [pair.vethA, 'eth9'] }),
        'miss',
      );
      const err = await (fault.inject(ctx as never) as Promise<unknown>).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err).toMatchObject({ code: 'FL_INJECT' });
      expect((err as Error).message).toMatch(/no interface eth9 in namespace/);
      expect(await fault.present!(undefined, ctx as never)).toBe(false);
    });
  });

  it.each([...withInterfaces, ...dns])('%s: a namespace that does not exist', async (_kind, fault, extra) => {
    const ns = `flm-none-${process.pid}`;
    const ctx = await faultCtx(parseTunables(fault as never, { ...extra, namespace: ns }), 'nons');
    await expect(fault.inject(ctx as never)).rejects.toMatchObject({
      code: 'FL_INJECT',
      message: expect.stringContaining(`network namespace '${ns}' does not exist`),
    });
    // and revert, with or without a receipt, has nothing to do there
    await fault.revert(undefined as never, ctx as never);
  });
});
