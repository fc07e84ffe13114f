import { parseDuration, parsePercent } from '@faultline/core';
import * as v from 'valibot';
import type { EntriesOutput } from '../entries.js';
import { netemCapability } from './capability.js';
import type { ShapeSpec } from './tc.js';
import { shapeTargetEntries, type TcFaultOptions, tcFault } from './tc-fault.js';

/** The netem argv of a shape (also the leaf under htb when destinations are named). */
export function netemShape(netem: string[]): ShapeSpec {
  // the class only classifies: its rate must not be what limits
  return { qdisc: ['netem', ...netem], classArgs: ['rate', '100gbit'], leaf: ['netem', ...netem] };
}

/** `'30s'` → `30000ms`: tc reads ms, and parseDuration already accepted the value. */
export const ms = (d: string | number) => `${parseDuration(d)}ms`;
/** `30` / `'12.5%'` → `12.5%`. */
export const pct = (p: string | number) => `${parsePercent(p)}%`;

/**
 * A netem fault. This kernel may lack sch_netem: `check()` says so and points to what works; inject
 * then fails with FL_CAPABILITY and leaves nothing behind.
 */
export function netemFault<E extends v.ObjectEntries>(o: {
  kind: string;
  summary: string;
  entries: E;
  /** The netem arguments for the fault's own tunables (pure: each fault unit-tests it). */
  netem: (t: EntriesOutput<E>) => string[];
}) {
  const tunables = v.strictObject({ ...shapeTargetEntries, ...o.entries });
  const opts: TcFaultOptions<typeof tunables> = {
    kind: o.kind,
    summary: o.summary,
    tunables,
    check: netemCapability,
    shape: (t) => netemShape(o.netem(t as EntriesOutput<E>)),
  };
  return tcFault(opts);
}
