import type { GenericSchema, InferInput, InferOutput } from 'valibot';
import type { Json, JsonObject } from './json.js';
import type { ProbeSpec } from './spec.js';

/** Log levels of `log` events. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Writes a `log` event that belongs to the current fault or probe. */
export interface Logger {
  debug(message: string, data?: JsonObject): void;
  info(message: string, data?: JsonObject): void;
  warn(message: string, data?: JsonObject): void;
  error(message: string, data?: JsonObject): void;
}

/** Whether this host can run a fault, and if not why and how to fix it. */
export interface Capability {
  available: boolean;
  /** Why not (or a caveat when available). */
  reason?: string;
  /** What a person can do about it. */
  fix?: string;
}

/** What `check()` is given. */
export interface CheckContext<T> {
  /** The tunables, when the check is for a concrete step (capabilities can depend on them). */
  tunables?: T;
  signal: AbortSignal;
  log: Logger;
}

/** Identity of one injection: every kernel object a fault creates is named from it. */
export interface InjectionIds {
  runId: string;
  /** The step's fault id inside the experiment (unique per experiment). */
  stepId: string;
  /** 0 for the first injection; rhythmic faults (`interval`) count up. */
  iteration: number;
  /**
   * `faultline_<runId8>_<stepId>[_<iteration>]` sanitised to `[a-z0-9_]`, at most 48 chars: the name of
   * nft tables, cgroups, files ... so leftovers are recognisable and revert deletes exactly its own.
   */
  objectName: string;
}

/** What `inject()` is given. */
export interface InjectContext<T> extends InjectionIds {
  tunables: T;
  /** Aborted when the run is aborted; whatever was applied before is still reverted. */
  signal: AbortSignal;
  log: Logger;
  /** The runtime's state directory (for files a fault must keep, e.g. a resolver's pid file). */
  stateDir: string;
}

/** What `revert()`, `present()` and `manual()` are given: the journal entry's facts, nothing in memory. */
export interface RevertContext<T = unknown> extends InjectionIds {
  /** The tunables the entry recorded (already validated when it was written). */
  tunables: T;
  signal: AbortSignal;
  log: Logger;
  stateDir: string;
}

/**
 * A fault kind: what it does, its tunables, how to undo it from a receipt alone.
 *
 * `receipt` is `undefined` in `revert`, `present` and `manual` when the process died or the run was
 * aborted before `inject` returned: the fault must then clean up whatever it finds under the names
 * derived from `ctx` (objectName, runId, stepId).
 */
export interface FaultDefinition<T extends GenericSchema = GenericSchema, R extends Json = Json> {
  /** Namespaced, stable: `linux/network-loss`. */
  kind: string;
  summary: string;
  /** A valibot schema with defaults; bad tunables → `FL_TUNABLES`. */
  tunables: T;
  /** Can this host do it, and if not, why. */
  check?(ctx: CheckContext<InferOutput<T>>): Promise<Capability>;
  /** Applies the fault; returns the revert receipt (plain JSON). */
  inject(ctx: InjectContext<InferOutput<T>>): Promise<R>;
  /** Undoes the fault. Idempotent; works in a fresh process from the receipt alone. */
  revert(receipt: R | undefined, ctx: RevertContext<InferOutput<T>>): Promise<void>;
  /** Is any of it still in effect? (Used by recovery after a reboot.) */
  present?(receipt: R | undefined, ctx: RevertContext<InferOutput<T>>): Promise<boolean>;
  /** The exact commands a person runs if revert keeps failing. */
  manual(receipt: R | undefined, ctx: RevertContext<InferOutput<T>>): string;
  /**
   * The fault's default health-check probe (Edge mode unless it says otherwise). Its kind must be one
   * of the probes of this fault's own pack ({@link Pack.probes}), so the pack runs on its own.
   */
  healthCheck?(tunables: InferOutput<T>): ProbeSpec;
}

/** What a probe run reports. `passed` decides the score; `value` is what was measured. */
export interface ProbeOutcome {
  passed: boolean;
  value?: Json;
  message?: string;
}

/** What a probe's `run()` is given. */
export interface ProbeContext<T> {
  tunables: T;
  /** Aborted at the probe's timeout or when the run aborts: a probe must never hang. */
  signal: AbortSignal;
  /** The attempt's timeout in ms (the signal fires then). */
  timeoutMs: number;
  log: Logger;
  runId: string;
  stepId: string;
}

/** A probe kind. */
export interface ProbeDefinition<T extends GenericSchema = GenericSchema> {
  /** Namespaced, stable: `probe/http`. */
  kind: string;
  summary: string;
  tunables: T;
  run(ctx: ProbeContext<InferOutput<T>>): Promise<ProbeOutcome>;
}

/** A fault template in a hub: kind + preset tunables + description + default probes. */
export interface FaultTemplate {
  /** Unique in its hub: `network-loss-30`. */
  name: string;
  kind: string;
  description: string;
  tunables: JsonObject;
  probes?: ProbeSpec[];
}

/** Something a pack's faults left on the host, found by the pack's own scan. */
export interface Leftover {
  /** What it is: `nft-table`, `cgroup`, `file`, `paused-process` ... (the pack's words). */
  type: string;
  /** Its name: the faultline object name (`faultline_<runId8>_<step>`) where it has one. */
  name: string;
  /** Where it is. */
  detail: string;
  /** The command a person runs to remove it. */
  fix: string;
}

/** What a pack's leftovers scan is given. */
export interface LeftoverScanContext {
  /** The runtime's state directory (where faults keep their records). */
  stateDir: string;
  /** Aborted when recovery stops waiting for the scan. */
  signal: AbortSignal;
  log: Logger;
}

/**
 * A pack: faults and probes registered under the package name a fresh process can `import()`.
 *
 * A pack runs on its own: **a pack must provide every probe kind its faults' healthCheck returns**,
 * so `createRuntime({ packs: [thatPack] })` can run each of its faults with the default health
 * check. Two packs may list the same probe definition object (registering it again is a no-op);
 * a different definition of a kind already registered is `FL_DUPLICATE_KIND`. `packContract()` in
 * `@faultline/core/testing` checks the rule.
 */
export interface Pack {
  /** The module specifier that exports this pack (`@faultline/faults-linux`, or a file URL). */
  name: string;
  version?: string;
  faults?: readonly FaultDefinition<any, any>[];
  /** Probe kinds: those its users call, and every kind its faults' `healthCheck` returns. */
  probes?: readonly ProbeDefinition<any>[];
  templates?: readonly FaultTemplate[];
  /**
   * Finds what this pack's faults left on the host, whichever process or journal made it: recovery
   * adds it to its report, so objects no journal entry accounts for are seen too. It only looks,
   * never changes anything.
   */
  scanLeftovers?(ctx: LeftoverScanContext): Promise<Leftover[]>;
}

/** Identity helper: types a fault definition. Does no work. */
export const defineFault = <T extends GenericSchema, R extends Json = Json>(
  d: FaultDefinition<T, R>,
): FaultDefinition<T, R> => d;
/** Identity helper: types a probe definition. Does no work. */
export const defineProbe = <T extends GenericSchema>(d: ProbeDefinition<T>): ProbeDefinition<T> => d;
/** Identity helper: types a pack. Does no work. A pack's module exports it as `pack` (or default). */
export const definePack = <P extends Pack>(p: P): P => p;

/** Input tunables of a definition (what a spec holds). */
export type TunablesInput<D> =
  D extends FaultDefinition<infer T, any>
    ? InferInput<T>
    : D extends ProbeDefinition<infer T>
      ? InferInput<T>
      : never;
