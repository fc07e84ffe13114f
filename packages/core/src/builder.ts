import * as v from 'valibot';
import { FaultlineError } from './errors.js';
import type { FaultRef } from './registry.js';
import { type ExperimentSpec, experimentSpecSchema, type FaultStepInput, type ProbeSpec } from './spec.js';
import type { DurationInput } from './units.js';

/** A probe as the builder takes it: plain JSON, or a fluent probe builder with `toJSON()`. */
export type ProbeLike = ProbeSpec | { toJSON(): ProbeSpec };

/** How one fault sits in the experiment. */
export interface StepOptions {
  /** Unique id (names kernel objects); default: the kind's name, numbered when repeated. */
  id?: string;
  /** 0..10, default 10. */
  weight?: number;
  duration?: DurationInput;
  rampTime?: DurationInput;
  /** Re-inject every interval during the window. */
  interval?: DurationInput;
  probes?: ProbeLike[];
  /** Add the fault's default health-check probe (default true). */
  healthCheck?: boolean;
}

/** A fault for the builder: a reference (from a pack helper or a hub template), optionally with default probes. */
export type FaultInput = FaultRef & { probes?: ProbeSpec[] };

/** Builds an {@link ExperimentSpec}: serial steps and parallel groups, as plain JSON. */
export class ExperimentBuilder {
  readonly #name: string;
  #description: string | undefined;
  readonly #labels: Record<string, string> = {};
  readonly #steps: Array<{ name?: string; faults: FaultStepInput[] }> = [];
  readonly #ids = new Set<string>();
  #concurrency: number | undefined;

  constructor(name: string) {
    this.#name = name;
  }

  description(text: string): this {
    this.#description = text;
    return this;
  }
  label(key: string, value: string): this {
    this.#labels[key] = value;
    return this;
  }
  /** Bound on faults injected at once in a parallel group. */
  concurrency(n: number): this {
    this.#concurrency = n;
    return this;
  }

  /** A step with one fault: it runs after the previous step has reverted. */
  fault(fault: FaultInput, opts: StepOptions = {}): this {
    this.#steps.push({ faults: [this.#step(fault, opts)] });
    return this;
  }

  /** A step whose faults are injected together. */
  parallel(...faults: Array<FaultInput | [FaultInput, StepOptions?]>): this {
    if (faults.length === 0) throw new FaultlineError('FL_SPEC', 'parallel() needs at least one fault');
    this.#steps.push({
      faults: faults.map((f) => (Array.isArray(f) ? this.#step(f[0], f[1] ?? {}) : this.#step(f, {}))),
    });
    return this;
  }

  #step(fault: FaultInput, o: StepOptions): FaultStepInput {
    const id = o.id ?? this.#autoId(fault.kind);
    if (this.#ids.has(id))
      throw new FaultlineError('FL_SPEC', `step id '${id}' is used twice; give each fault its own id`);
    this.#ids.add(id);
    const probes = [...(fault.probes ?? []), ...(o.probes ?? []).map(toProbeSpec)];
    return {
      id,
      kind: fault.kind,
      tunables: fault.tunables,
      ...(o.weight !== undefined ? { weight: o.weight } : {}),
      ...(o.duration !== undefined ? { duration: o.duration } : {}),
      ...(o.rampTime !== undefined ? { rampTime: o.rampTime } : {}),
      ...(o.interval !== undefined ? { interval: o.interval } : {}),
      ...(probes.length ? { probes } : {}),
      ...(o.healthCheck !== undefined ? { healthCheck: o.healthCheck } : {}),
    };
  }

  #autoId(kind: string): string {
    const base = (kind.split('/')[1] ?? kind).replace(/[^a-z0-9_-]/g, '-').slice(0, 20);
    let id = base;
    for (let n = 2; this.#ids.has(id); n++) id = `${base}-${n}`;
    return id;
  }

  /** The spec as plain JSON, checked against the schema (FL_SPEC). Kinds and tunables are checked when it runs. */
  build(): ExperimentSpec {
    const spec: ExperimentSpec = {
      apiVersion: 'faultline/v1',
      kind: 'Experiment',
      metadata: {
        name: this.#name,
        ...(this.#description !== undefined ? { description: this.#description } : {}),
        ...(Object.keys(this.#labels).length ? { labels: { ...this.#labels } } : {}),
      },
      spec: {
        steps: structuredClone(this.#steps),
        ...(this.#concurrency !== undefined ? { concurrency: this.#concurrency } : {}),
      },
    };
    const r = v.safeParse(experimentSpecSchema, spec);
    if (!r.success) {
      throw new FaultlineError(
        'FL_SPEC',
        `experiment '${this.#name}': ${r.issues.map((i) => `${v.getDotPath(i) ?? '(root)'}: ${i.message}`).join('; ')}`,
      );
    }
    return spec;
  }
}

/** Starts an experiment. */
export function experiment(name: string): ExperimentBuilder {
  return new ExperimentBuilder(name);
}

/** A probe builder or JSON, as JSON. */
export function toProbeSpec(p: ProbeLike): ProbeSpec {
  return 'toJSON' in p && typeof p.toJSON === 'function' ? p.toJSON() : (p as ProbeSpec);
}
