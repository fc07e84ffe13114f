import type { FaultResult, ProbeResult, RevertResult, Verdict } from './result.js';

/**
 * The resilience score: Σ(weight × probeSuccess) / Σ weight over every fault, rounded to 2
 * decimals. A fault that errored or never ran counts 0 but keeps its weight. All weights 0 → null
 * with a reason (never NaN).
 */
export function resilienceScore(faults: readonly Pick<FaultResult, 'weight' | 'probeSuccess' | 'status'>[]): {
  score: number | null;
  reason?: string;
} {
  if (faults.length === 0) return { score: null, reason: 'the experiment has no faults' };
  const total = faults.reduce((s, f) => s + f.weight, 0);
  if (total === 0)
    return { score: null, reason: 'every fault has weight 0, so no fault counts towards the score' };
  const earned = faults.reduce((s, f) => s + (f.status === 'completed' ? f.weight * f.probeSuccess : 0), 0);
  return { score: Math.round((earned / total) * 100) / 100 };
}

/** Probe success of one fault: passed probes / probes × 100. */
export function probeSuccess(probes: readonly Pick<ProbeResult, 'passed'>[]): number {
  if (probes.length === 0) return 0;
  return (probes.filter((p) => p.passed).length / probes.length) * 100;
}

/**
 * The verdict. A revert that failed for good outranks everything (a person must act); then an abort,
 * then a fault or runner error, then a failed probe.
 */
export function verdictOf(input: {
  faults: readonly FaultResult[];
  probes: readonly ProbeResult[];
  reverts: readonly RevertResult[];
  aborted: boolean;
  runnerError: boolean;
}): Verdict {
  if (input.reverts.some((r) => !r.ok)) return 'Error';
  if (input.aborted) return 'Aborted';
  if (input.runnerError || input.faults.some((f) => f.status === 'errored')) return 'Error';
  if (input.probes.some((p) => !p.passed) || input.faults.some((f) => f.status === 'skipped')) return 'Fail';
  return 'Pass';
}
