import { describe, expect, it } from 'vitest';
import { probeSuccess, resilienceScore, verdictOf } from './score.js';

const f = (
  weight: number,
  probeSuccess: number,
  status: 'completed' | 'errored' | 'skipped' | 'aborted' = 'completed',
) => ({ weight, probeSuccess, status });

describe('resilience score', () => {
  it('weights 2/4/8 with probe success 0/100/75 give 71.43', () => {
    expect(resilienceScore([f(2, 0), f(4, 100), f(8, 75)]).score).toBe(71.43);
  });
  it('a fault that errored or never ran counts 0 and keeps its weight', () => {
    expect(resilienceScore([f(5, 100), f(5, 100, 'errored')]).score).toBe(50);
    expect(resilienceScore([f(5, 100), f(5, 100, 'skipped')]).score).toBe(50);
    expect(resilienceScore([f(10, 100), f(0, 0, 'errored')]).score).toBe(100);
  });
  it('all weights 0 → null with a reason, not NaN', () => {
    const r = resilienceScore([f(0, 100), f(0, 50)]);
    expect(r.score).toBeNull();
    expect(r.reason).toMatch(/weight 0/);
    expect(resilienceScore([]).score).toBeNull();
  });
  it('probe success is passed / probes × 100', () => {
    expect(probeSuccess([{ passed: true }, { passed: false }, { passed: true }, { passed: true }])).toBe(75);
    expect(probeSuccess([])).toBe(0);
  });
  it('verdict: a failed revert outranks abort, abort outranks errors, errors outrank failed probes', () => {
    const base = { faults: [], probes: [], reverts: [], aborted: false, runnerError: false };
    const failedRevert = [{ entryId: 'x', stepId: 's', kind: 'k', ok: false, attempts: 3, ms: 1 }];
    expect(verdictOf(base)).toBe('Pass');
    expect(
      verdictOf({
        ...base,
        probes: [{ stepId: 's', probe: 'p', kind: 'k', mode: 'SOT', passed: false, runs: 1, failures: 1 }],
      }),
    ).toBe('Fail');
    expect(verdictOf({ ...base, runnerError: true })).toBe('Error');
    expect(verdictOf({ ...base, aborted: true, runnerError: true })).toBe('Aborted');
    expect(verdictOf({ ...base, aborted: true, reverts: failedRevert })).toBe('Error');
  });
});
