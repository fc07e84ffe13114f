import { stat } from 'node:fs/promises';
import { defineProbe, type ProbeSpec } from '@faultline/core';
import * as v from 'valibot';
import { healthProbeSpec } from './probe-spec.js';

/** Tunables of `probe/infra-responsive` (the resource faults' health checks emit exactly these). */
export const infraResponsiveTunables = v.object({
  /** Longest acceptable delay of a zero-delay timer and of one file-system call, in ms. */
  maxLagMs: v.optional(v.pipe(v.number(), v.minValue(1)), 1000),
});

/**
 * `probe/infra-responsive`: the health check of resource faults (CPU, memory, I/O). The local
 * infrastructure is responsive when the event loop runs a zero-delay timer and the libuv thread
 * pool answers a `stat` within `maxLagMs`: the runner that must revert the fault can still act.
 */
export const infraResponsiveProbe = defineProbe({
  kind: 'probe/infra-responsive',
  summary:
    'The local infrastructure is responsive: the event loop and a file-system call answer within maxLagMs.',
  tunables: infraResponsiveTunables,
  async run(ctx) {
    const { maxLagMs } = ctx.tunables;
    const t0 = performance.now();
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
    const loopLag = performance.now() - t0;
    const t1 = performance.now();
    // bounded by the probe's signal: a stalled thread pool must not hang the probe
    let onAbort = () => {};
    const fsDone = await Promise.race([
      stat('/').then(
        () => true,
        () => true,
      ),
      new Promise<false>((resolve) => {
        onAbort = () => resolve(false);
        if (ctx.signal.aborted) resolve(false);
        ctx.signal.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
    ctx.signal.removeEventListener('abort', onAbort);
    const fsLag = performance.now() - t1;
    const worst = Math.max(loopLag, fsLag);
    const passed = fsDone && worst <= maxLagMs;
    const value = { loopLagMs: round(loopLag), fsLagMs: round(fsLag) };
    return {
      passed,
      value,
      message: fsDone
        ? `event loop lag ${value.loopLagMs} ms, stat lag ${value.fsLagMs} ms (max ${maxLagMs} ms): ${passed ? 'responsive' : 'too slow'}`
        : `a stat('/') did not return within the probe timeout (${ctx.timeoutMs} ms)`,
    };
  },
});

/** A `probe/infra-responsive` spec (Edge mode): the resource faults' health check, or a probe of your own. */
export function infraResponsive(t: v.InferInput<typeof infraResponsiveTunables> = {}): ProbeSpec {
  return healthProbeSpec(infraResponsiveProbe, 'infra-responsive', t);
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
