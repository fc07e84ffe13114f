import * as v from 'valibot';
import { errors } from './api-error.js';
import type { LiveToxic, Protocol, Stream, ToxicJson, ToxicType } from './toxic-type.js';
import { TOXIC_TYPES } from './toxics/index.js';

/** A toxic on a proxy: its type and its live state. */
export interface ToxicEntry {
  type: ToxicType;
  live: LiveToxic<Record<string, unknown>>;
}

/** What a proxy's running listener does when its toxics change. */
export interface ToxicObserver {
  added(t: ToxicEntry): void;
  updated(t: ToxicEntry): void;
  removed(t: ToxicEntry): void;
}

const isObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);

function parseAttributes(type: ToxicType, input: unknown): Record<string, unknown> {
  const r = v.safeParse(type.attributes, input ?? {});
  if (r.success) return r.output as Record<string, unknown>;
  const why = r.issues.map((i) => `attributes.${v.getDotPath(i) ?? ''}: ${i.message}`).join('; ');
  throw errors.badBody(why);
}

function parseToxicity(x: unknown, dflt: number): number {
  if (x === undefined || x === null) return dflt;
  if (typeof x !== 'number' || !Number.isFinite(x)) throw errors.badBody('toxicity: a number from 0 to 1');
  return x;
}

/** The JSON of a toxic (Toxiproxy's field order). */
export function toxicJson(t: ToxicEntry): ToxicJson {
  return {
    attributes: { ...t.live.attributes },
    name: t.live.name,
    type: t.type.type,
    stream: t.live.stream,
    toxicity: t.live.toxicity,
  };
}

/**
 * A proxy's toxics, in the order they were added (Toxiproxy chains them in that order). Names are unique
 * across both streams. Validation happens before anything changes: a refused request leaves it as it was.
 */
export class ToxicSet {
  readonly #entries: ToxicEntry[] = [];
  observer: ToxicObserver | undefined;

  constructor(private readonly protocol: () => Protocol) {}

  list(): readonly ToxicEntry[] {
    return this.#entries;
  }

  get(name: string): ToxicEntry | undefined {
    return this.#entries.find((t) => t.live.name === name);
  }

  /** Adds a toxic from its JSON (Toxiproxy's defaults: stream downstream, toxicity 1, name `<type>_<stream>`). */
  add(body: unknown): ToxicEntry {
    if (!isObject(body)) throw errors.badBody('a toxic is a JSON object');
    const stream = body.stream === undefined || body.stream === '' ? 'downstream' : body.stream;
    if (stream !== 'upstream' && stream !== 'downstream') throw errors.invalidStream();
    const type = typeof body.type === 'string' ? TOXIC_TYPES.get(body.type) : undefined;
    if (!type) throw errors.invalidToxicType();
    const name = typeof body.name === 'string' && body.name !== '' ? body.name : `${type.type}_${stream}`;
    if (this.get(name)) throw errors.toxicExists();
    const protocol = this.protocol();
    if (!type.protocols.includes(protocol)) {
      throw errors.badBody(
        `toxic type ${type.type} does not apply to a ${protocol} proxy (it applies to ${type.protocols.join(', ')})`,
      );
    }
    const entry: ToxicEntry = {
      type,
      live: {
        name,
        stream: stream as Stream,
        toxicity: parseToxicity(body.toxicity, 1),
        attributes: parseAttributes(type, body.attributes),
        shared: {},
      },
    };
    this.#entries.push(entry);
    this.observer?.added(entry);
    return entry;
  }

  /** Updates attributes (merged into the current ones) and toxicity (kept when absent). */
  update(name: string, body: unknown): ToxicEntry {
    const entry = this.get(name);
    if (!entry) throw errors.toxicNotFound();
    if (!isObject(body)) throw errors.badBody('a toxic update is a JSON object');
    const patch = isObject(body.attributes) ? body.attributes : {};
    const attributes = parseAttributes(entry.type, { ...entry.live.attributes, ...patch });
    const toxicity = parseToxicity(body.toxicity, entry.live.toxicity);
    entry.live.attributes = attributes;
    entry.live.toxicity = toxicity;
    this.observer?.updated(entry);
    return entry;
  }

  /** Removes a toxic; every link hands on what it held at once. */
  remove(name: string): void {
    const i = this.#entries.findIndex((t) => t.live.name === name);
    if (i < 0) throw errors.toxicNotFound();
    const [entry] = this.#entries.splice(i, 1);
    this.observer?.removed(entry!);
  }

  /** Removes every toxic (POST /reset). */
  clear(): void {
    while (this.#entries.length > 0) this.remove(this.#entries.at(-1)!.live.name);
  }
}

/** Toxiproxy's draw: a link takes the toxic with probability `toxicity`. */
export const draw = (toxicity: number): boolean => Math.random() < toxicity;
