import { silentLogger } from '../logger.js';
import type { ProbeDefinition, ProbeOutcome } from '../model.js';
import { parseTunables } from '../registry.js';

/**
 * Runs one attempt of a probe the way the runner does: tunables validated (`FL_TUNABLES`), a signal
 * that fires at `timeoutMs`. Returns the outcome and how long the attempt took.
 */
export async function runProbe(
  def: ProbeDefinition<any>,
  tunables: unknown,
  timeoutMs = 5000,
): Promise<ProbeOutcome & { ms: number }> {
  const parsed = parseTunables(def, tunables);
  const started = performance.now();
  const out = await def.run({
    tunables: parsed,
    signal: AbortSignal.timeout(timeoutMs),
    timeoutMs,
    log: silentLogger,
    runId: 'probetest',
    stepId: 'probe',
  });
  return { ...out, ms: performance.now() - started };
}
