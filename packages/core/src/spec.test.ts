import { describe, expect, it } from 'vitest';
import { pack } from '../test/pack.js';
import { isFaultlineError } from './errors.js';
import { planExperiment } from './plan.js';
import { Registry } from './registry.js';

const registry = new Registry().register(pack);
/** A one-fault spec (test/noop with a probe), with `step` merged into the fault step. */
const spec = (step: Record<string, unknown> = {}, more: Record<string, unknown> = {}) => ({
  apiVersion: 'faultline/v1',
  kind: 'Experiment',
  metadata: { name: 'bounds' },
  spec: {
    steps: [
      {
        faults: [
          {
            id: 'a',
            kind: 'test/noop',
            probes: [{ name: 'p', kind: 'test/path-exists', tunables: { path: '/tmp' } }],
            ...step,
          },
        ],
      },
    ],
    ...more,
  },
});
const codeOf = (s: unknown) => {
  try {
    planExperiment(s, registry);
    return 'valid';
  } catch (e) {
    return isFaultlineError(e) ? e.code : `not a FaultlineError: ${String(e)}`;
  }
};

describe('spec bounds: what cannot be honoured is refused before anything runs', () => {
  it('a window, ramp or interval past 2^31-1 ms is FL_SPEC (a Node timer would fire after 1 ms)', () => {
    expect(codeOf(spec())).toBe('valid');
    for (const d of ['999999999h', 1e308, '597h', 2 ** 31, '1'.repeat(80) + 's']) {
      expect(codeOf(spec({ duration: d })), `duration ${d}`).toBe('FL_SPEC');
      expect(codeOf(spec({ rampTime: d })), `rampTime ${d}`).toBe('FL_SPEC');
      expect(codeOf(spec({ interval: d })), `interval ${d}`).toBe('FL_SPEC');
    }
    expect(codeOf(spec({ duration: '596h' }))).toBe('valid');
    const probe = { name: 'p', kind: 'test/path-exists', tunables: { path: '/tmp' } };
    for (const rp of [{ timeout: '999999999h' }, { pollingInterval: 1e308 }, { initialDelay: -1 }])
      expect(codeOf(spec({ probes: [{ ...probe, runProperties: rp }] })), JSON.stringify(rp)).toBe('FL_SPEC');
  });
  it('the message names the place and the bound', () => {
    expect(() => planExperiment(spec({ duration: '999999999h' }), registry)).toThrow(
      /spec\.steps\.0\.faults\.0\.duration: duration '999999999h' is longer than faultline can wait: at most 2147483647 ms/,
    );
  });
  it('numbers JSON cannot carry are refused anywhere in a spec (they would reach the journal as null)', () => {
    expect(codeOf(spec({ tunables: { x: Infinity } }))).toBe('FL_SPEC');
    expect(codeOf(spec({ tunables: { deep: [{ x: Number.NaN }] } }))).toBe('FL_SPEC');
    expect(codeOf(spec({ weight: Infinity }))).toBe('FL_SPEC');
  });
  it('an unknown key is refused, not ignored: a typo must not silently drop a setting', () => {
    expect(codeOf(spec({ durration: '5s' }))).toBe('FL_SPEC');
    expect(() => planExperiment(spec({ durration: '5s' }), registry)).toThrow(/durration/);
    expect(codeOf({ ...spec(), extra: Number.NaN })).toBe('FL_SPEC');
    const probe = { name: 'p', kind: 'test/path-exists', tunables: { path: '/tmp' } };
    expect(codeOf(spec({ probes: [{ ...probe, runProperties: { timout: '1s' } }] }))).toBe('FL_SPEC');
  });
  it('a spec must be plain JSON, also where the schema skips a key (a record drops `constructor`)', () => {
    const labelled = (labels: Record<string, unknown>) => ({ ...spec(), metadata: { name: 'x', labels } });
    expect(codeOf(labelled({ team: 'a' }))).toBe('valid');
    expect(codeOf(labelled({ constructor: Infinity }))).toBe('FL_SPEC');
    expect(() => planExperiment(labelled({ constructor: Infinity }), registry)).toThrow(
      /not plain JSON: metadata\.labels\.constructor: Infinity is not a JSON number/,
    );
    expect(codeOf(spec({ tunables: { when: new Date() } }))).toBe('FL_SPEC');
    expect(codeOf(spec({ tunables: { n: 10n } }))).toBe('FL_SPEC');
    expect(codeOf(spec({ interval: undefined }))).toBe('valid'); // absent, as JSON.stringify says
  });
  it('concurrency is a whole number from 1 to 1024', () => {
    expect(codeOf(spec({}, { concurrency: 1024 }))).toBe('valid');
    for (const c of [0, 1025, 1e308, 2.5, Infinity])
      expect(codeOf(spec({}, { concurrency: c })), String(c)).toBe('FL_SPEC');
  });
});
