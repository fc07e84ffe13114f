import * as v from 'valibot';
import type { Json, JsonObject } from './json.js';
import { durationSchema } from './units.js';

/** When a probe runs relative to the fault (reference/resilience-score.md). */
export const PROBE_MODES = ['SOT', 'EOT', 'Edge', 'Continuous', 'OnChaos'] as const;
/** SOT: once before; EOT: once after; Edge: before and after; Continuous: all along; OnChaos: while in effect. */
export type ProbeMode = (typeof PROBE_MODES)[number];

// a spec is JSON: a number JSON cannot carry (Infinity, NaN) would reach the journal or an agent as null
const jsonSchema: v.GenericSchema<Json> = v.lazy(() =>
  v.union([
    v.null(),
    v.boolean(),
    v.pipe(v.number(), v.finite('a number in a spec must be finite (JSON has no Infinity or NaN)')),
    v.string(),
    v.array(jsonSchema),
    v.record(v.string(), jsonSchema),
  ]),
);
const jsonObjectSchema = v.record(v.string(), jsonSchema) as v.GenericSchema<JsonObject>;

/** A probe's run properties; durations as strings ('5s') or milliseconds. */
export const runPropertiesSchema = v.strictObject({
  /** One attempt's bound; the probe fails (never hangs) at it. */
  timeout: v.optional(durationSchema(), '5s'),
  /** Wait between attempts. */
  interval: v.optional(durationSchema(), '1s'),
  /** Tries before the probe counts as failed. */
  attempts: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(100)), 1),
  /** Wait before the first run. */
  initialDelay: v.optional(durationSchema(), '0ms'),
  /** Period of Continuous and OnChaos probes. */
  pollingInterval: v.optional(durationSchema(), '1s'),
  /** A failed probe aborts the experiment (faults are still reverted). */
  stopOnFailure: v.optional(v.boolean(), false),
});
/** Input form of run properties. */
export type RunPropertiesInput = v.InferInput<typeof runPropertiesSchema>;
/** Run properties with defaults applied. */
export type RunProperties = v.InferOutput<typeof runPropertiesSchema>;

const nameSchema = v.pipe(v.string(), v.minLength(1), v.maxLength(120));
const kindSchema = v.pipe(
  v.string(),
  v.regex(
    /^[a-z0-9][a-z0-9-]*\/[a-z0-9][a-z0-9-]*$/,
    'a kind is namespace/kebab-name, e.g. linux/cpu-stress',
  ),
);

/** A probe in a spec. */
export const probeSpecSchema = v.strictObject({
  name: nameSchema,
  kind: kindSchema,
  tunables: v.optional(jsonObjectSchema, {}),
  mode: v.optional(v.picklist(PROBE_MODES), 'Edge'),
  runProperties: v.optional(runPropertiesSchema, {}),
});
/** A probe as written in a spec (defaults not applied). */
export type ProbeSpec = v.InferInput<typeof probeSpecSchema>;
/** A probe with defaults applied. */
export type ResolvedProbeSpec = v.InferOutput<typeof probeSpecSchema>;

/** The most faults a parallel group may inject at once: each holds a journal entry and commands in flight. */
export const MAX_CONCURRENCY = 1024;

/** A step id names kernel objects (`faultline_<run8>_<id>`): short, lower case. */
export const STEP_ID = /^[a-z0-9][a-z0-9_-]{0,23}$/;

/** One fault in an experiment. */
export const faultStepSchema = v.strictObject({
  id: v.pipe(
    v.string(),
    v.regex(STEP_ID, 'a step id is 1-24 chars of a-z 0-9 _ - (it names kernel objects)'),
  ),
  kind: kindSchema,
  tunables: v.optional(jsonObjectSchema, {}),
  /** Importance 0..10 for the resilience score. */
  weight: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(10)), 10),
  /** The chaos window. */
  duration: v.optional(durationSchema(), '30s'),
  /** Waited before inject and after revert. */
  rampTime: v.optional(durationSchema(), '0ms'),
  /** Re-inject every interval during the window (rhythmic faults); each injection is its own journal entry. */
  interval: v.optional(durationSchema()),
  probes: v.optional(v.array(probeSpecSchema), []),
  /** Adds the fault's default health-check probe (Edge). */
  healthCheck: v.optional(v.boolean(), true),
});
/** A fault step as written. */
export type FaultStepInput = v.InferInput<typeof faultStepSchema>;
/** A fault step with defaults applied. */
export type FaultStep = v.InferOutput<typeof faultStepSchema>;

/** A step: one fault, or several injected together (a parallel group). */
export const stepSchema = v.strictObject({
  name: v.optional(nameSchema),
  faults: v.pipe(v.array(faultStepSchema), v.minLength(1, 'a step needs at least one fault')),
});

/** The experiment spec: plain, versioned JSON (store it, send it to an agent, load it from a hub). */
export const experimentSpecSchema = v.pipe(
  v.strictObject({
    apiVersion: v.literal('faultline/v1'),
    kind: v.literal('Experiment'),
    metadata: v.strictObject({
      name: nameSchema,
      description: v.optional(v.string()),
      labels: v.optional(v.record(v.string(), v.string())),
    }),
    spec: v.strictObject({
      steps: v.pipe(v.array(stepSchema), v.minLength(1, 'an experiment needs at least one step')),
      /** Bound on faults injected at once in a parallel group (1..{@link MAX_CONCURRENCY}). */
      concurrency: v.optional(
        v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(MAX_CONCURRENCY)),
        16,
      ),
    }),
  }),
  v.check((s) => {
    const ids = s.spec.steps.flatMap((st) => st.faults.map((f) => f.id));
    return new Set(ids).size === ids.length;
  }, 'fault step ids must be unique in an experiment'),
);
/** An experiment spec as written (JSON). */
export type ExperimentSpec = v.InferInput<typeof experimentSpecSchema>;
/** An experiment spec with defaults applied. */
export type ResolvedSpec = v.InferOutput<typeof experimentSpecSchema>;
