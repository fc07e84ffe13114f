import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InferInput } from 'valibot';
import { describe, expect, it } from 'vitest';
import type { Json } from '../json.js';
import type { FaultDefinition, RevertContext } from '../model.js';
import { revertInFreshProcess } from './fresh-process.js';
import { injectContext } from './inject-context.js';

/** What a pack's test gives {@link faultContract}. */
export interface FaultContractOptions<D extends FaultDefinition<any, any>> {
  /** The module a fresh `node` process imports to find the pack (its `pack` or default export). */
  pack: string;
  /** Skip the whole contract, with the reason printed (e.g. the kernel lacks sch_netem). */
  skip?: string | false | undefined;
  /**
   * Creates the target the fault acts on (a namespace, a cgroup, a child process, a temp dir) and
   * returns the tunables aimed at it, plus a cleanup that runs even when the fault failed to clean.
   */
  setup(): Promise<{ tunables: InferInput<D['tunables']>; cleanup?: () => Promise<void> }>;
  /** Optional: assert the fault's effect while it is injected. */
  inEffect?(receipt: Json): Promise<void>;
  /** Per-test timeout (default 60 s). */
  timeoutMs?: number;
}

/** The contract's step id names the kind (`k<kind>`), so a pack's leftovers scan can tell its objects. */
function contractStepId(kind: string): string {
  return `k${
    kind
      .split('/')[1]
      ?.replace(/[^a-z0-9]/g, '')
      .slice(0, 12) ?? 'x'
  }`;
}

/**
 * The contract every fault of every pack passes, for real: inject → present() true → revert →
 * present() false → revert again is a no-op; revert with no receipt (a process that died mid-inject)
 * cleans up by name; and a receipt reverted by a fresh `node` process works.
 */
export function faultContract<D extends FaultDefinition<any, any>>(
  fault: D,
  opts: FaultContractOptions<D>,
): void {
  describe(`faultContract: ${fault.kind}`, () => {
    if (opts.skip) {
      it.skip(`skipped: ${opts.skip}`, () => {});
      console.warn(`[faultContract] ${fault.kind} skipped: ${opts.skip}`);
      return;
    }
    const timeout = opts.timeoutMs ?? 60_000;

    async function withTarget(
      body: (ctx: RevertContext<any> & { tunables: any }) => Promise<void>,
    ): Promise<void> {
      const target = await opts.setup();
      const stateDir = await mkdtemp(join(tmpdir(), 'faultline-contract-'));
      const ctx = injectContext(fault, target.tunables, { stepId: contractStepId(fault.kind), stateDir });
      try {
        await body(ctx);
      } finally {
        await target.cleanup?.();
        await rm(stateDir, { recursive: true, force: true });
      }
    }

    it('inject → present → revert → absent → revert again is a no-op', { timeout }, async () => {
      await withTarget(async (ctx) => {
        const receipt = await fault.inject(ctx);
        try {
          expect(JSON.parse(JSON.stringify(receipt)), 'the receipt is plain JSON').toEqual(receipt);
          if (fault.present) expect(await fault.present(receipt, ctx), 'present() after inject').toBe(true);
          await opts.inEffect?.(receipt);
          expect(fault.manual(receipt, ctx).trim().length, 'manual() names the commands').toBeGreaterThan(0);
        } finally {
          await fault.revert(receipt, ctx);
        }
        if (fault.present) expect(await fault.present(receipt, ctx), 'present() after revert').toBe(false);
        await fault.revert(receipt, ctx);
        if (fault.present)
          expect(await fault.present(receipt, ctx), 'present() after a second revert').toBe(false);
      });
    });

    it('revert without a receipt cleans up by name (the process died mid-inject)', { timeout }, async () => {
      await withTarget(async (ctx) => {
        await fault.revert(undefined, ctx); // nothing injected yet: must be a no-op, not an error
        const receipt = await fault.inject(ctx);
        try {
          await fault.revert(undefined, ctx);
          if (fault.present)
            expect(await fault.present(receipt, ctx), 'present() after a receipt-less revert').toBe(false);
        } finally {
          await fault.revert(receipt, ctx);
        }
      });
    });

    it('a fresh process reverts from the receipt alone', { timeout }, async () => {
      await withTarget(async (ctx) => {
        const receipt = await fault.inject(ctx);
        try {
          const res = await revertInFreshProcess({
            pack: opts.pack,
            kind: fault.kind,
            receipt,
            runId: ctx.runId,
            stepId: ctx.stepId,
            iteration: ctx.iteration,
            objectName: ctx.objectName,
            tunables: ctx.tunables as Json,
            stateDir: ctx.stateDir,
            checkPresent: true,
          });
          expect(res.error).toBeUndefined();
          expect(res.ok).toBe(true);
          if (fault.present) {
            expect(res.present, 'present() in the fresh process').toBe(false);
            expect(await fault.present(receipt, ctx), 'present() here').toBe(false);
          }
        } finally {
          await fault.revert(receipt, ctx);
        }
      });
    });
  });
}
