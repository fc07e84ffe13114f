import { errorToJSON } from './errors.js';
import type { ProbePhase } from './events.js';
import type { Logger, ProbeOutcome } from './model.js';
import type { PlannedProbe } from './plan.js';
import { sleep, timeoutSignal, whenAborted } from './timing.js';

/** Where a probe's runs are reported. */
export interface ProbeReporter {
  /** One attempt finished. */
  attempt(p: PlannedProbe, phase: ProbePhase, attempt: number, outcome: ProbeOutcome, ms: number): void;
  /** A run (its attempts together) finished. */
  run(p: PlannedProbe, outcome: ProbeOutcome): void;
}

/**
 * Runs one probe once: up to `attempts` tries, `interval` apart, each bounded by `timeout` — a probe
 * that ignores its signal is abandoned at the timeout, so a hung target never hangs the run.
 */
export async function runProbe(
  p: PlannedProbe,
  phase: ProbePhase,
  ids: { runId: string; stepId: string },
  log: Logger,
  report: ProbeReporter,
  stop: AbortSignal,
): Promise<ProbeOutcome> {
  let outcome: ProbeOutcome = { passed: false, message: 'not run' };
  const attempts = p.spec.runProperties.attempts;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const t0 = performance.now();
    const { signal, dispose } = timeoutSignal(p.timeoutMs, stop);
    const abandoned = whenAborted(signal);
    try {
      outcome = await Promise.race([
        p.def.run({
          tunables: p.tunables,
          signal,
          timeoutMs: p.timeoutMs,
          log,
          runId: ids.runId,
          stepId: ids.stepId,
        }),
        abandoned.promise,
      ]);
    } catch (e) {
      const why =
        signal.aborted && !stop.aborted ? `timed out after ${p.timeoutMs}ms` : errorToJSON(e).message;
      outcome = { passed: false, message: why };
    } finally {
      abandoned.dispose();
      dispose();
    }
    report.attempt(p, phase, attempt, outcome, Math.round(performance.now() - t0));
    if (outcome.passed || stop.aborted) break;
    if (attempt < attempts && !(await sleep(p.intervalMs, stop))) break;
  }
  report.run(p, outcome);
  return outcome;
}

/**
 * Polls a Continuous or OnChaos probe every `pollingInterval` until `until` aborts. Ticks are
 * scheduled against absolute times (no drift); a run longer than the interval skips the missed ticks.
 * Resolves when the last run has finished.
 */
export async function pollProbe(
  p: PlannedProbe,
  phase: ProbePhase,
  ids: { runId: string; stepId: string },
  log: Logger,
  report: ProbeReporter,
  until: AbortSignal,
  stop: AbortSignal,
): Promise<void> {
  if (p.initialDelayMs > 0 && !(await sleep(p.initialDelayMs, until))) return;
  let next = performance.now();
  while (!until.aborted && !stop.aborted) {
    await runProbe(p, phase, ids, log, report, stop);
    next += p.pollingMs;
    const now = performance.now();
    if (next < now) next += Math.ceil((now - next) / p.pollingMs) * p.pollingMs;
    if (!(await sleep(next - now, until))) break;
  }
}
