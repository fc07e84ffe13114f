// Issue #12, items 4 and 9: a tc fault removes what its cookie marks even when part of it is gone,
// the leftovers scan finds broken redirects and faultline qdiscs, handles are allocated (not hashed),
// an `interval` step re-injects over its own previous iteration, and a refusal names the other run.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { experiment, parseTunables } from '@faultline/core';
import { revertContext } from '@faultline/core/testing';
import { describe, expect, it } from 'vitest';
import { quietRuntime } from '../../test/helpers.js';
import { linux } from '../linux.js';
import { networkRateLimit } from '../network-rate-limit.js';
import { faultCtx, measurePingLoss, type NetnsPair, withNetnsPair } from '../testing/netns.js';
import { scanNetworkLeftovers } from './leftovers.js';

const qdiscsOf = async (pair: NetnsPair, dev: string) =>
  JSON.parse((await pair.exec(pair.a, 'tc', ['-j', 'qdisc', 'show', 'dev', dev])).stdout) as {
    kind: string;
    handle: string;
    root?: boolean;
  }[];

const leftoversIn = async (pair: NetnsPair) =>
  (await scanNetworkLeftovers({ namespaces: [pair.a] })).filter((l) => l.namespace === pair.a);

describe.concurrent('tc faults own exactly their objects', () => {
  for (const withReceipt of [true, false]) {
    it(`an ingress shape whose ifb vanished is removed whole (${withReceipt ? 'from its receipt' : 'with no receipt'})`, {
      timeout: 30_000,
    }, async () => {
      await withNetnsPair('flo', async (pair) => {
        const ctx = await faultCtx(
          parseTunables(networkRateLimit, { namespace: pair.a, rate: '10mbit', direction: 'ingress' }),
          'gone',
        );
        const receipt = await networkRateLimit.inject(ctx);
        await pair.exec(pair.a, 'ip', ['link', 'del', receipt.ifbs[pair.vethA]!]);
        // what is left redirects every arriving packet to nothing: 100 % loss on the interface
        expect((await measurePingLoss(pair, { from: pair.a, host: pair.ipB, count: 20 })).lossPercent).toBe(
          100,
        );
        const found = await leftoversIn(pair);
        expect(found.map((l) => l.type)).toEqual(['ingress-redirect']);
        expect(found[0]!.name).toMatch(/no longer exists, faultline run /);
        expect(await networkRateLimit.present!(withReceipt ? receipt : undefined, ctx)).toBe(true);
        await networkRateLimit.revert(withReceipt ? receipt : undefined, ctx);
        expect((await qdiscsOf(pair, pair.vethA)).map((q) => q.kind)).toEqual(['noqueue']);
        expect((await measurePingLoss(pair, { from: pair.a, host: pair.ipB, count: 20 })).lossPercent).toBe(
          0,
        );
        expect(await leftoversIn(pair)).toEqual([]);
      });
    });
  }

  it('the leftovers scan names the run of a faultline root qdisc, its ifb and its ingress redirect', {
    timeout: 30_000,
  }, async () => {
    await withNetnsPair('flo', async (pair) => {
      const ctx = await faultCtx(
        parseTunables(networkRateLimit, { namespace: pair.a, rate: '10mbit', direction: 'both' }),
        'scan',
      );
      const receipt = await networkRateLimit.inject(ctx);
      try {
        const run8 = ctx.objectName.split('_')[1]!;
        const found = await leftoversIn(pair);
        expect(found.map((l) => l.type).sort()).toEqual(['ifb', 'ingress-redirect', 'qdisc', 'qdisc']);
        for (const l of found)
          expect(l.name).toContain(l.type === 'ifb' ? ctx.objectName : `faultline run ${run8}`);
      } finally {
        await networkRateLimit.revert(receipt, ctx);
      }
    });
  });

  it('handles are allocated: a receipt-less revert of one injection never removes another with the same old hash', {
    timeout: 30_000,
  }, async () => {
    // two injections whose handles the old scheme (0xf000 + sha1 % 0xfef) made equal
    const runId = `tcol${randomBytes(3).toString('hex')}`;
    const oldHandle = (name: string) =>
      (createHash('sha1').update(name).digest().readUInt16BE(0) % 0xfef).toString();
    const seen = new Map<string, string>();
    let pairOfSteps: [string, string] | undefined;
    for (let i = 0; !pairOfSteps && i < 5000; i++) {
      const step = `s${i}`;
      const h = oldHandle(revertContext({ runId, stepId: step, tunables: {} }).objectName);
      const other = seen.get(h);
      if (other) pairOfSteps = [other, step];
      seen.set(h, step);
    }
    await withNetnsPair('flo', async (pair) => {
      const [stepA, stepB] = pairOfSteps!;
      const ctxOf = (step: string, dev: string) =>
        revertContext({
          runId,
          stepId: step,
          stateDir: '/tmp',
          tunables: parseTunables(networkRateLimit, { namespace: pair.a, rate: '10mbit', interfaces: [dev] }),
        });
      const a = ctxOf(stepA, pair.vethA);
      const b = ctxOf(stepB, 'lo');
      const ra = await networkRateLimit.inject(a);
      const rb = await networkRateLimit.inject(b);
      try {
        expect(
          (await qdiscsOf(pair, 'lo')).find((q) => q.root)?.handle,
          'the receipt holds the allocated handle',
        ).toBe(rb.handle);
        await networkRateLimit.revert(undefined, a);
        expect(await networkRateLimit.present!(ra, a)).toBe(false);
        expect(await networkRateLimit.present!(rb, b), "the other injection's qdisc is still there").toBe(
          true,
        );
        // and a late, repeated revert of A from its receipt does not touch B either
        await networkRateLimit.revert(ra, a);
        expect((await qdiscsOf(pair, 'lo')).find((q) => q.root)?.handle).toBe(rb.handle);
      } finally {
        await networkRateLimit.revert(rb, b);
        await networkRateLimit.revert(ra, a);
      }
    });
  });

  it('a qdisc another faultline run made is refused naming that run, with no advice to delete it', {
    timeout: 30_000,
  }, async () => {
    await withNetnsPair('flo', async (pair) => {
      const t = parseTunables(networkRateLimit, { namespace: pair.a, rate: '10mbit' });
      const first = await faultCtx(t, 'first');
      const second = await faultCtx(t, 'second');
      const receipt = await networkRateLimit.inject(first);
      try {
        const err = await networkRateLimit.inject(second).then(
          () => undefined,
          (e: Error) => e,
        );
        expect(err).toMatchObject({ code: 'FL_INJECT' });
        expect(err!.message).toContain(`faultline run ${first.objectName.split('_')[1]} made`);
        expect(err!.message).not.toMatch(/tc qdisc del|Remove it|did not make/);
        expect(await networkRateLimit.present!(receipt, first)).toBe(true);
        expect(await networkRateLimit.present!(undefined, second)).toBe(false);
      } finally {
        await networkRateLimit.revert(receipt, first);
      }
    });
  });

  it("someone else's ingress qdisc, even an empty one, is refused and left as it was", {
    timeout: 30_000,
  }, async () => {
    await withNetnsPair('flo', async (pair) => {
      await pair.exec(pair.a, 'tc', ['qdisc', 'add', 'dev', pair.vethA, 'handle', 'ffff:', 'ingress']);
      const ctx = await faultCtx(
        parseTunables(networkRateLimit, { namespace: pair.a, rate: '10mbit', direction: 'ingress' }),
        'theirs',
      );
      await expect(networkRateLimit.inject(ctx)).rejects.toThrow(/ingress qdisc .* faultline did not make/);
      expect((await qdiscsOf(pair, pair.vethA)).map((q) => q.kind)).toContain('ingress');
      expect(await networkRateLimit.present!(undefined, ctx)).toBe(false);
      await pair.exec(pair.a, 'tc', ['qdisc', 'del', 'dev', pair.vethA, 'ingress']);
    });
  });

  it('an interval step re-injects over its previous iteration: verdict Pass, nothing left', {
    timeout: 60_000,
  }, async () => {
    await withNetnsPair('flo', async (pair) => {
      const stateDir = await mkdtemp('/tmp/flo-rt-');
      const { runtime, probes } = await quietRuntime(stateDir);
      try {
        const spec = experiment('flo interval rate limit')
          .fault(linux.networkRateLimit({ namespace: pair.a, rate: '10mbit', direction: 'both' }), {
            // long enough for a re-inject even when each inject is slow on a busy machine
            duration: '2s',
            interval: '250ms',
            healthCheck: false,
            probes,
          })
          .build();
        const result = await runtime.run(spec).result;
        expect(result.error).toBeUndefined();
        expect(result.faults[0]!.error).toBeUndefined();
        expect(result.faults[0]!.injections, 'it was injected again over itself').toBeGreaterThanOrEqual(2);
        expect(result.verdict).toBe('Pass');
        expect(result.reverts.every((r) => r.ok)).toBe(true);
        expect(await leftoversIn(pair)).toEqual([]);
      } finally {
        await runtime.close();
        await rm(stateDir, { recursive: true, force: true });
      }
    });
  });
});
