import type { ErrorCode, FaultResult, ResolvedSpec, RunResult, Verdict } from '@faultline/core';
import { resilienceScore } from '@faultline/core/internal';

/**
 * The result a remote handle makes itself when the agent's never arrives (the link was lost, the
 * agent refused the spec or forgot the run): every fault skipped, or aborted if it was seen
 * injected; scored as the runner scores faults that did not complete.
 */
export function clientResult(o: {
  spec: ResolvedSpec;
  runId: string;
  startedAt: Date;
  injected: ReadonlySet<string>;
  verdict: Verdict;
  code: ErrorCode | 'FL_INTERNAL' | undefined;
  message: string;
}): RunResult {
  const faults: FaultResult[] = o.spec.spec.steps.flatMap((st) =>
    st.faults.map((f) => ({
      stepId: f.id,
      kind: f.kind,
      weight: f.weight,
      status: o.injected.has(f.id) ? ('aborted' as const) : ('skipped' as const),
      probeSuccess: 0,
      injections: 0,
    })),
  );
  const { score, reason } = resilienceScore(faults);
  const finishedAt = new Date();
  const text = o.code ? `${o.code}: ${o.message}` : o.message;
  return {
    runId: o.runId,
    experiment: o.spec.metadata.name,
    verdict: o.verdict,
    score,
    ...(reason ? { scoreReason: reason } : {}),
    startedAt: o.startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - o.startedAt.getTime(),
    faults,
    probes: [],
    reverts: [],
    ...(o.code ? { error: { code: o.code, message: text } } : {}),
    ...(o.verdict === 'Aborted' ? { abortReason: text } : {}),
  };
}
