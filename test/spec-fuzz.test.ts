// Generated input against validation: arbitrary values and near-valid mutations of valid specs and
// tunables (huge, negative, NaN-ish numbers, shell and path tricks, wrong types) go through the spec
// schema and every fault's and probe's tunables of every pack in the repository. Two promises hold:
// only FaultlineErrors come out of validation (`runtime.validate`, `planExperiment`, `faultRef`,
// `parseTunables`), and a spec that is refused leaves nothing behind — no journal entry, no inject,
// no probe — through a real runtime with a FileJournal. A spec that is accepted must be one faultline
// can honour: plain JSON, every duration within what a timer can wait.
import { readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fc, test } from '@fast-check/vitest';
import {
  createRuntime,
  defaultJournalPath,
  defineFault,
  definePack,
  defineProbe,
  type FaultDefinition,
  faultRef,
  isFaultlineError,
  MAX_DURATION_MS,
  type Pack,
  type ProbeDefinition,
  parseTunables,
  type Runtime,
} from '@faultline/core';
import { isJson, planExperiment } from '@faultline/core/internal';
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { nasty, nearValid } from './spec-fuzz/arbitraries.js';
import { EXAMPLES } from './spec-fuzz/examples.js';

/** Every pack a workspace package of the repository exports (the packs a user can register). */
async function repositoryPacks(): Promise<Pack[]> {
  const repo = fileURLToPath(new URL('..', import.meta.url));
  const readJson = (file: string) => JSON.parse(readFileSync(join(repo, file), 'utf8'));
  const out: Pack[] = [];
  for (const dir of readJson('package.json').workspaces as string[]) {
    const mod = await import(readJson(join(dir, 'package.json')).name);
    const pack = (mod.pack ?? mod.default) as Pack | undefined;
    if (pack?.faults?.length || pack?.probes?.length) out.push(pack);
  }
  return out;
}

const packs = await repositoryPacks();
const faults = packs.flatMap((p) => p.faults ?? []);
const probes = [...new Map(packs.flatMap((p) => p.probes ?? []).map((d) => [d.kind, d])).values()];

/** What the runtime called: any entry here for a refused spec is a broken promise. */
const calls: string[] = [];

// The packs as registered in the runtime: the same kinds, schemas and health checks, but inject,
// revert and probe runs are spies, so even a spec that slipped through could touch nothing.
const spies = new Map<unknown, unknown>();
function spyFault(f: FaultDefinition<any, any>): FaultDefinition<any, any> {
  const { check: _check, present: _present, ...rest } = f;
  return defineFault({
    ...rest,
    inject: async () => {
      calls.push(`inject ${f.kind}`);
      return null;
    },
    revert: async () => {
      calls.push(`revert ${f.kind}`);
    },
  });
}
function spyProbe(p: ProbeDefinition<any>): ProbeDefinition<any> {
  if (!spies.has(p))
    spies.set(
      p,
      defineProbe({
        ...p,
        run: async () => {
          calls.push(`probe ${p.kind}`);
          return { passed: true };
        },
      }),
    );
  return spies.get(p) as ProbeDefinition<any>;
}
/** A fault that always validates, in the first step: it would be injected first if validation came late. */
const first = definePack({
  name: 'fuzz-spies',
  faults: [
    defineFault({
      kind: 'spy/first',
      summary: 'records its inject',
      tunables: v.strictObject({}),
      inject: async () => {
        calls.push('inject spy/first');
        return null;
      },
      revert: async () => {},
      manual: () => 'nothing to do',
    }),
  ],
  probes: [
    defineProbe({
      kind: 'spy/ok',
      summary: 'records its run',
      tunables: v.strictObject({}),
      run: async () => {
        calls.push('probe spy/ok');
        return { passed: true };
      },
    }),
  ],
});
const spyPacks = [
  first,
  ...packs.map((p) =>
    definePack({
      name: p.name,
      faults: (p.faults ?? []).map(spyFault),
      probes: (p.probes ?? []).map(spyProbe),
    }),
  ),
];

// a few seconds in the suite; FAULTLINE_FUZZ_SCALE=50 for a deep run before a release
const scale = Number(process.env.FAULTLINE_FUZZ_SCALE ?? 1) || 1;
const RUNS = { faults: 120 * scale, specs: 500 * scale };
const kinds = [...faults.map((f) => f.kind), ...probes.map((p) => p.kind)];

/** Runs f; returns 'ok' or the FaultlineError's code, and fails the property on any other throw. */
function outcome(what: string, f: () => unknown): string {
  try {
    f();
    return 'ok';
  } catch (e) {
    if (isFaultlineError(e)) return e.code;
    throw new Error(
      `${what} threw something other than a FaultlineError: ${(e as Error)?.stack ?? String(e)}`,
    );
  }
}

/** A valid spec: the spy step, then one step of `kind` with its example tunables and a probe of each form. */
function validSpec(kind: string): Record<string, unknown> {
  const isFault = faults.some((f) => f.kind === kind);
  const probe = (k: string) => ({ name: 'p', kind: k, tunables: EXAMPLES[k] ?? {} });
  return {
    apiVersion: 'faultline/v1',
    kind: 'Experiment',
    metadata: { name: 'fuzzed', labels: { team: 'chaos' } },
    spec: {
      concurrency: 4,
      steps: [
        {
          faults: [{ id: 'first', kind: 'spy/first', healthCheck: false, probes: [probe('spy/ok')] }],
        },
        {
          name: 'under test',
          faults: [
            {
              id: 'target',
              kind: isFault ? kind : 'spy/first',
              tunables: isFault ? EXAMPLES[kind] : {},
              weight: 5,
              duration: '2s',
              rampTime: '100ms',
              interval: '1s',
              probes: [
                {
                  ...probe(isFault ? 'spy/ok' : kind),
                  mode: 'Continuous',
                  runProperties: { timeout: '1s', interval: '200ms', attempts: 2, pollingInterval: '500ms' },
                },
              ],
            },
          ],
        },
      ],
    },
  };
}

type Plan = ReturnType<Runtime['validate']>;

/** Every duration a plan will wait on, in ms. */
function durationsOf(plan: Plan): number[] {
  return plan.steps.flatMap((s) =>
    s.faults.flatMap((f) => [
      f.durationMs,
      f.rampMs,
      ...(f.intervalMs === undefined ? [] : [f.intervalMs]),
      ...f.probes.flatMap((p) => [p.timeoutMs, p.intervalMs, p.initialDelayMs, p.pollingMs]),
    ]),
  );
}

let rt: Runtime;
let stateDir: string;
let journalSize: number;
const sizeOf = (file: string) => {
  try {
    return statSync(file).size;
  } catch {
    return -1;
  }
};

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'fl-fuzz-'));
  rt = await createRuntime({
    packs: spyPacks,
    stateDir,
    recover: false,
    sentinel: false,
    signals: false,
    eventLog: false,
  });
  journalSize = sizeOf(defaultJournalPath(stateDir));
});
afterAll(async () => {
  await rt?.close();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

describe('every kind of every pack has a valid example to mutate', () => {
  test('examples', () => {
    expect(faults.length).toBeGreaterThan(10);
    expect(
      kinds.filter((k) => EXAMPLES[k] === undefined),
      'add them to test/spec-fuzz/examples.ts',
    ).toEqual([]);
    const defs = [...faults, ...probes];
    for (const d of defs)
      expect(
        outcome(d.kind, () => parseTunables(d, EXAMPLES[d.kind])),
        d.kind,
      ).toBe('ok');
    for (const k of kinds) expect(() => rt.validate(validSpec(k)), k).not.toThrow();
  });
});

describe('tunables: only FaultlineErrors come out', () => {
  for (const def of [...faults, ...probes]) {
    const isFault = faults.includes(def as FaultDefinition<any, any>);
    test.prop([fc.oneof(fc.jsonValue(), nasty, nearValid(EXAMPLES[def.kind] ?? {}))], {
      numRuns: RUNS.faults,
    })(
      def.kind,
      (tunables) => {
        const code = outcome('parseTunables', () => parseTunables(def, tunables));
        expect(['ok', 'FL_TUNABLES']).toContain(code);
        if (isFault) {
          expect(
            outcome('faultRef', () => faultRef(def as FaultDefinition<any, any>, tunables as never)),
          ).toBe(code);
          // planning calls the fault's health check with the parsed tunables
          const hc = (def as FaultDefinition<any, any>).healthCheck;
          if (code === 'ok' && hc) outcome('healthCheck', () => hc(parseTunables(def, tunables)));
        }
      },
      30_000 * scale,
    );
  }
});

describe('specs: refused with a FaultlineError and nothing done, or accepted and honourable', () => {
  const specs = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...kinds).chain((k) => nearValid(validSpec(k))) },
    { weight: 1, arbitrary: fc.jsonValue() },
    {
      weight: 1,
      arbitrary: fc.anything({
        withNullPrototype: true,
        withBigInt: true,
        withMap: true,
        withSparseArray: true,
      }),
    },
  );

  test.prop([specs], { numRuns: RUNS.specs })(
    'validate, plan, run',
    async (spec) => {
      const validated = outcome('runtime.validate', () => rt.validate(spec));
      expect(outcome('planExperiment', () => planExperiment(spec, rt.registry))).toBe(validated);
      if (validated === 'ok') {
        // accepted: JSON all the way (the journal and an agent get what was meant), every wait honourable
        expect(isJson(spec), JSON.stringify(spec)).toBe(true);
        for (const ms of durationsOf(rt.validate(spec))) {
          expect(Number.isFinite(ms) && ms >= 0 && ms <= MAX_DURATION_MS, `duration ${ms} ms`).toBe(true);
        }
        return; // never run: the real probes (http, cmd) would run for real
      }
      expect(outcome('runtime.run', () => rt.run(spec as never))).toBe(validated);
      expect(calls).toEqual([]);
      expect(await rt.journal.pending()).toEqual([]);
    },
    30_000 * scale,
  );

  test('after all of it: the journal file never grew, and nothing was injected or probed', async () => {
    expect(sizeOf(defaultJournalPath(stateDir))).toBe(journalSize);
    expect(await rt.journal.pending()).toEqual([]);
    expect(calls).toEqual([]);
  });
});
