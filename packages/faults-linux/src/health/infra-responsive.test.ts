import { runProbe } from '@faultline/core/testing';
import { describe, expect, it } from 'vitest';
import { infraResponsive, infraResponsiveProbe } from './infra-responsive.js';

describe('probe/infra-responsive', () => {
  it('passes on a responsive loop and fails when the loop is blocked past maxLagMs', async () => {
    const ok = await runProbe(infraResponsiveProbe, {});
    expect(ok.passed, ok.message).toBe(true);
    const pending = runProbe(infraResponsiveProbe, { maxLagMs: 20 });
    const until = performance.now() + 80;
    while (performance.now() < until) {
      // block the event loop, as a starved host would
    }
    const slow = await pending;
    expect(slow.passed).toBe(false);
    expect(slow.message).toContain('too slow');
  });
});

describe('infraResponsive()', () => {
  it('is an Edge spec; tunables are optional and validated', () => {
    expect(infraResponsive()).toEqual({
      name: 'infra-responsive',
      kind: 'probe/infra-responsive',
      mode: 'Edge',
      tunables: {},
    });
    expect(infraResponsive({ maxLagMs: 50 }).tunables).toEqual({ maxLagMs: 50 });
    expect(() => infraResponsive({ maxLagMs: 0 })).toThrow(/FL_TUNABLES/);
  });
});
