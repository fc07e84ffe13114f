import * as v from 'valibot';
import { FaultlineError } from './errors.js';
import type { Json, JsonObject } from './json.js';
import type { FaultDefinition, Pack, ProbeDefinition } from './model.js';

/** A definition and the pack (module specifier) it came from. */
export interface Registered<D> {
  def: D;
  pack: string;
}

/**
 * Fault and probe kinds by name. A kind registered twice is an error, not a silent override — except
 * one probe definition (the same object) brought by several packs: a pack carries the probes its
 * faults' health checks use, so two packs may share one.
 */
export class Registry {
  readonly #faults = new Map<string, Registered<FaultDefinition<any, any>>>();
  readonly #probes = new Map<string, Registered<ProbeDefinition<any>>>();
  readonly #packs = new Map<string, Pack>();

  /** Registers every fault and probe of a pack. Registering the same pack object again is a no-op. */
  register(pack: Pack): this {
    if (this.#packs.get(pack.name) === pack) return this;
    if (this.#packs.has(pack.name)) {
      throw new FaultlineError(
        'FL_DUPLICATE_KIND',
        `a different pack named '${pack.name}' is already registered`,
      );
    }
    // a fault kind has exactly one pack: its journal entries name that pack, which a recovering
    // process imports to revert them. A probe is never journaled, so one shared definition is fine.
    for (const f of pack.faults ?? []) this.#claim(this.#faults, f.kind, f, pack.name, 'fault');
    for (const p of pack.probes ?? []) {
      if (this.#probes.get(p.kind)?.def === p) continue;
      this.#claim(this.#probes, p.kind, p, pack.name, 'probe');
    }
    this.#packs.set(pack.name, pack);
    return this;
  }

  #claim<D>(map: Map<string, Registered<D>>, kind: string, def: D, pack: string, what: string): void {
    const had = map.get(kind);
    if (had) {
      throw new FaultlineError(
        'FL_DUPLICATE_KIND',
        `${what} kind '${kind}' is defined by both '${had.pack}' and '${pack}'; register only one of them`,
        {
          details: { kind },
        },
      );
    }
    map.set(kind, { def, pack });
  }

  /** The packs registered, by name. */
  packs(): Pack[] {
    return [...this.#packs.values()];
  }
  hasPack(name: string): boolean {
    return this.#packs.has(name);
  }

  /** A fault kind; throws `FL_UNKNOWN_KIND` listing what is registered. */
  fault(kind: string): Registered<FaultDefinition<any, any>> {
    const r = this.#faults.get(kind);
    if (!r) throw unknown('fault', kind, [...this.#faults.keys()]);
    return r;
  }
  /** A probe kind; throws `FL_UNKNOWN_KIND`. */
  probe(kind: string): Registered<ProbeDefinition<any>> {
    const r = this.#probes.get(kind);
    if (!r) throw unknown('probe', kind, [...this.#probes.keys()]);
    return r;
  }
  faultKinds(): string[] {
    return [...this.#faults.keys()].sort();
  }
  probeKinds(): string[] {
    return [...this.#probes.keys()].sort();
  }
}

function unknown(what: string, kind: string, known: string[]): FaultlineError {
  const list = known.length ? known.sort().join(', ') : 'none';
  return new FaultlineError(
    'FL_UNKNOWN_KIND',
    `no registered pack provides the ${what} kind '${kind}' (registered: ${list}); register the pack that defines it`,
    {
      details: { kind },
    },
  );
}

/**
 * Validates tunables against a definition's schema. Bad tunables → `FL_TUNABLES` naming each field.
 * Returns the output (defaults applied).
 */
export function parseTunables<T extends v.GenericSchema>(
  def: { kind: string; tunables: T },
  input: unknown,
): v.InferOutput<T> {
  const r = v.safeParse(def.tunables, input ?? {});
  if (r.success) return r.output;
  const issues = r.issues.map((i) => `${v.getDotPath(i) ?? '(root)'}: ${i.message}`);
  throw new FaultlineError('FL_TUNABLES', `bad tunables for ${def.kind}: ${issues.join('; ')}`, {
    details: { kind: def.kind, issues },
  });
}

/** A fault chosen for an experiment: a kind and its tunables as written (JSON). */
export interface FaultRef {
  kind: string;
  tunables: JsonObject;
}

/**
 * Makes a {@link FaultRef} from a definition, validating the tunables now (`FL_TUNABLES`), so a
 * pack's helpers (`linux.networkLoss({...})`) fail where the mistake is written.
 */
export function faultRef<D extends FaultDefinition<any, any>>(
  def: D,
  tunables: v.InferInput<D['tunables']>,
): FaultRef {
  parseTunables(def, tunables);
  return { kind: def.kind, tunables: tunables as JsonObject };
}

/** Is this plain JSON (no functions, no undefined, no cycles, finite numbers)? */
export function isJson(x: unknown): x is Json {
  const seen = new Set<unknown>();
  const ok = (y: unknown): boolean => {
    if (y === null || typeof y === 'string' || typeof y === 'boolean') return true;
    if (typeof y === 'number') return Number.isFinite(y);
    if (typeof y !== 'object' || seen.has(y)) return false;
    seen.add(y);
    const r = Array.isArray(y)
      ? y.every(ok)
      : Object.getPrototypeOf(y) === Object.prototype && Object.values(y).every(ok);
    seen.delete(y);
    return r;
  };
  return ok(x);
}
