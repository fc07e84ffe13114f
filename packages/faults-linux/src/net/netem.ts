import { parseDuration, parsePercent } from '@faultline/core';
import * as v from 'valibot';
import type { EntriesOutput } from '../entries.js';
import { netemCapability } from './capability.js';
import type { ShapeSpec } from './tc.js';
import { shapeTargetEntries, type TcFaultOptions, tcFault } from './tc-fault.js';
import { PORTS_NEED_TRANSPORT, portsFitProtocol } from './tunables.js';

/** The shape of a netem fault: its netem qdisc under the fault's class. */
export function netemShape(netem: string[]): ShapeSpec {
  return { leaf: ['netem', ...netem] };
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
  // the entries are generic here, so the check sees the shared part through a cast
  const tunables = v.pipe(
    v.strictObject({ ...shapeTargetEntries, ...o.entries }),
    v.check((t) => portsFitProtocol(t as Parameters<typeof portsFitProtocol>[0]), PORTS_NEED_TRANSPORT),
  );
  const opts: TcFaultOptions<typeof tunables> = {
    kind: o.kind,
    summary: o.summary,
    tunables,
    check: netemCapability,
    shape: (t) => netemShape(o.netem(t as EntriesOutput<E>)),
  };
  return tcFault(opts);
}
