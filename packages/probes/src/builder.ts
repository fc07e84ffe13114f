import {
  type Comparator,
  type DurationInput,
  FaultlineError,
  type JsonObject,
  type ProbeDefinition,
  type ProbeMode,
  type ProbeSpec,
  parseTunables,
  type RunPropertiesInput,
} from '@faultline/core';
import { probeSpecSchema } from '@faultline/core/internal';
import * as v from 'valibot';

/** Number criteria that take one value. */
export type NumberCriterion = '>=' | '<=' | '==' | '!=' | '>' | '<';
/** String criteria that take one value. */
export type StringCriterion = 'equal' | 'notEqual' | 'contains' | 'matches' | 'notMatches';

/** Arguments of a number expectation: `(200)`, `('<', 0.5)`, `('oneOf', [200, 204])`, `('between', [0, 1])`. */
export type NumberExpectation =
  | [value: number]
  | [criteria: NumberCriterion, value: number]
  | [criteria: 'oneOf', value: number[]]
  | [criteria: 'between', value: [number, number]];
/** Arguments of a string expectation: `('ok')` (equal), `('contains', 'ok')`, `('oneOf', ['a', 'b'])`. */
export type StringExpectation =
  | [value: string]
  | [criteria: StringCriterion, value: string]
  | [criteria: 'oneOf', value: string[]];

/** Makes a number comparator from builder arguments; one argument means `==`. */
export function numberComparator(type: 'int' | 'float', args: NumberExpectation): Comparator {
  return (
    args.length === 1 ? { type, criteria: '==', value: args[0] } : { type, criteria: args[0], value: args[1] }
  ) as Comparator;
}

/** Makes a string comparator from builder arguments; one argument means `equal`. */
export function stringComparator(args: StringExpectation): Comparator {
  return (
    args.length === 1
      ? { type: 'string', criteria: 'equal', value: args[0] }
      : { type: 'string', criteria: args[0], value: args[1] }
  ) as Comparator;
}

interface BuilderState {
  def: ProbeDefinition<any>;
  tunables: JsonObject;
  name: string;
  mode?: ProbeMode;
  run: RunPropertiesInput;
}

/**
 * A fluent, immutable probe builder: every call returns a new builder, so a base can be shared.
 * `build()` (and `JSON.stringify`, through `toJSON`) gives the plain {@link ProbeSpec} core takes;
 * tunables are validated there, where the mistake was written (`FL_TUNABLES`).
 */
export class ProbeBuilder {
  protected readonly state: BuilderState;

  constructor(def: ProbeDefinition<any>, tunables: JsonObject, name: string, mode?: ProbeMode) {
    this.state = { def, tunables, name: name.slice(0, 120), run: {}, ...(mode ? { mode } : {}) };
  }

  /**
   * A copy with some state changed (subclasses keep their class). The copy is made with
   * Object.create, so subclasses must not use `#private` members (they would not be copied).
   */
  protected with(patch: Partial<BuilderState>): this {
    const next = Object.create(Object.getPrototypeOf(this)) as this;
    (next as unknown as { state: BuilderState }).state = {
      ...this.state,
      ...patch,
      run: { ...this.state.run, ...patch.run },
    };
    return next;
  }
  /** A copy with tunables merged in. */
  protected tune(patch: JsonObject): this {
    return this.with({ tunables: { ...this.state.tunables, ...patch } });
  }

  /** The probe's name in results and events (unique within its fault step). */
  name(name: string): this {
    return this.with({ name });
  }
  /** When it runs: SOT, EOT, Edge (default), Continuous, OnChaos. */
  mode(mode: ProbeMode): this {
    return this.with({ mode });
  }
  /** Period of a Continuous or OnChaos probe (`pollingInterval`). */
  every(period: DurationInput): this {
    return this.with({ run: { pollingInterval: period } });
  }
  /** One attempt's bound: the probe fails at it, never hangs. */
  timeout(timeout: DurationInput): this {
    return this.with({ run: { timeout } });
  }
  /** Tries before the probe counts as failed. */
  attempts(attempts: number): this {
    return this.with({ run: { attempts } });
  }
  /** Wait between attempts. */
  interval(interval: DurationInput): this {
    return this.with({ run: { interval } });
  }
  /** Wait before the first run. */
  initialDelay(delay: DurationInput): this {
    return this.with({ run: { initialDelay: delay } });
  }
  /** A failure aborts the experiment (faults are still reverted). */
  stopOnFailure(stop = true): this {
    return this.with({ run: { stopOnFailure: stop } });
  }

  /** The plain ProbeSpec JSON. Throws `FL_TUNABLES` or `FL_SPEC` on a mistake. */
  build(): ProbeSpec {
    const { def, tunables, name, mode, run } = this.state;
    parseTunables(def, tunables);
    const spec: ProbeSpec = {
      name,
      kind: def.kind,
      tunables: structuredClone(tunables),
      ...(mode ? { mode } : {}),
      ...(Object.keys(run).length ? { runProperties: { ...run } } : {}),
    };
    const r = v.safeParse(probeSpecSchema, spec);
    if (!r.success) {
      const issues = r.issues.map((i) => `${v.getDotPath(i) ?? '(root)'}: ${i.message}`).join('; ');
      throw new FaultlineError('FL_SPEC', `probe '${name}' is malformed: ${issues}`);
    }
    return spec;
  }
  /** Same as {@link build}: a spec holding a builder serialises to the plain JSON. */
  toJSON(): ProbeSpec {
    return this.build();
  }
  /** Alias of {@link build}. */
  spec(): ProbeSpec {
    return this.build();
  }
}
