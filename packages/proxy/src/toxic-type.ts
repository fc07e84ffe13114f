import * as v from 'valibot';
import type { HttpAction } from './http/action.js';
import type { LinkContext, Stage } from './stage.js';

/** What a proxy carries: Toxiproxy's TCP streams, UDP datagrams, or HTTP requests (over TCP). */
export type Protocol = 'tcp' | 'udp' | 'http';
/** Toxiproxy's two directions: `upstream` is client → server, `downstream` server → client. */
export type Stream = 'upstream' | 'downstream';

/** A toxic as the API shows it (Toxiproxy's JSON), attributes with their defaults filled in. */
export interface ToxicJson {
  name: string;
  type: string;
  stream: Stream;
  toxicity: number;
  attributes: Record<string, unknown>;
}

/** A toxic living on a proxy: its attributes may change (PATCH); per-proxy state lives in `shared`. */
export interface LiveToxic<A> {
  readonly name: string;
  readonly stream: Stream;
  attributes: A;
  toxicity: number;
  /** State every link of this toxic shares (per-proxy bandwidth's clock). */
  readonly shared: Record<string, unknown>;
}

/** A kind of toxic: its attribute schema (with defaults) and what it does to a link or a request. */
export interface ToxicType<S extends v.ObjectSchema<any, any> = v.ObjectSchema<any, any>> {
  type: string;
  protocols: readonly Protocol[];
  attributes: S;
  /** For stream and datagram toxics: the stage it puts on each link. `attrs()` reads the live attributes. */
  stage?(link: LinkContext, attrs: () => v.InferOutput<S>, toxic: LiveToxic<v.InferOutput<S>>): Stage;
  /** For HTTP toxics: what it does to one matching request. */
  http?(attrs: v.InferOutput<S>): HttpAction;
}

/** Identity helper: types a toxic type. */
export const defineToxicType = <S extends v.ObjectSchema<any, any>>(t: ToxicType<S>): ToxicType<S> => t;

/** An integer attribute with a default (Toxiproxy's attributes are Go int64s: 1.5 is refused). */
export const int = (dflt: number) => v.optional(v.pipe(v.number(), v.integer()), dflt);
/** A non-negative integer attribute with a default. */
export const uint = (dflt: number) => v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), dflt);
/** A percentage attribute (0–100, fractions allowed) with a default. */
export const percent = (dflt: number) => v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(100)), dflt);
