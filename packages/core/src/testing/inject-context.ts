// The contexts a fault's functions get, built for a test that calls a fault directly: the same
// shapes, ids and object names the runtime gives, so a test exercises the fault as a run would.
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GenericSchema, InferInput, InferOutput } from 'valibot';
import { FaultlineError } from '../errors.js';
import { silentLogger } from '../logger.js';
import type { InjectContext, InjectionIds, Logger, RevertContext } from '../model.js';
import { objectName } from '../names.js';
import { parseTunables } from '../registry.js';
import { STEP_ID } from '../spec.js';

/** What a test may set in {@link injectContext}; everything else gets a working default. */
export interface InjectContextOverrides {
  /** Default: a fresh UUID, as the runtime gives each run (its first 8 characters go into object names). */
  runId?: string;
  /** Default `test`. A step id as a spec allows: 1-24 of `[a-z0-9_-]`, starting with a letter or digit. */
  stepId?: string;
  /** Default 0 (the first injection of the step). */
  iteration?: number;
  /** Default `<os tmpdir>/faultline-test-state`; faults create what they keep under it. */
  stateDir?: string;
  /** Default: a signal that never aborts. Pass an AbortController's signal to test an abort. */
  signal?: AbortSignal;
  /** Default: `silentLogger`. */
  log?: Logger;
}

/** What {@link revertContext} builds from: an injection's facts, as a journal entry or an InjectContext holds them. */
export interface InjectionFacts<T> extends Pick<InjectionIds, 'runId' | 'stepId'> {
  /** Default 0. */
  iteration?: number;
  /** Default: derived from the ids, as the runtime names it. */
  objectName?: string;
  /** Already validated (a journal entry's, or an InjectContext's). */
  tunables: T;
  /** Default `<os tmpdir>/faultline-test-state`. */
  stateDir?: string;
  /** Default: `silentLogger`. */
  log?: Logger;
}

const DEFAULT_STATE_DIR = join(tmpdir(), 'faultline-test-state');

/**
 * A valid InjectContext for calling `fault.inject()` in a test: the tunables parsed by the fault's
 * schema (defaults applied, bad ones → `FL_TUNABLES`), fresh ids and the object name the runtime
 * would derive from them, a signal, a logger and a state dir.
 *
 * ```ts
 * const ctx = injectContext(networkLoss, { percent: 30, namespace }, { stepId: 'loss' });
 * const receipt = await networkLoss.inject(ctx);
 * await networkLoss.revert(receipt, revertContext(ctx));
 * ```
 */
export function injectContext<T extends GenericSchema>(
  fault: { kind: string; tunables: T },
  tunables: InferInput<T>,
  overrides: InjectContextOverrides = {},
): InjectContext<InferOutput<T>> {
  const { signal, log, ...facts } = overrides;
  return revertContext(
    {
      ...facts,
      runId: facts.runId ?? randomUUID(),
      stepId: facts.stepId ?? 'test',
      tunables: parseTunables(fault, tunables),
      ...(log ? { log } : {}),
    },
    signal ? { signal } : {},
  );
}

/**
 * The context `revert()`, `present()` and `manual()` get for an injection, built the way the runtime
 * builds it from the journal entry: the ids, tunables, object name and state dir of `from` (an
 * InjectContext or a JournalEntry) and a fresh signal — a revert runs after an abort too. The shape
 * is an InjectContext's as well, so a test holding already-parsed tunables can inject with it.
 */
export function revertContext<T>(
  from: InjectionFacts<T>,
  overrides: { signal?: AbortSignal } = {},
): RevertContext<T> {
  const iteration = from.iteration ?? 0;
  if (!STEP_ID.test(from.stepId)) {
    throw new FaultlineError(
      'FL_SPEC',
      `'${from.stepId}' is not a step id: use 1-24 of [a-z0-9_-], starting with a letter or digit`,
    );
  }
  return {
    runId: from.runId,
    stepId: from.stepId,
    iteration,
    objectName: from.objectName ?? objectName(from.runId, from.stepId, iteration),
    tunables: from.tunables,
    signal: overrides.signal ?? new AbortController().signal,
    log: from.log ?? silentLogger,
    stateDir: from.stateDir ?? DEFAULT_STATE_DIR,
  };
}
