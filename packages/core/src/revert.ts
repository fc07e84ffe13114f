import { errorToJSON } from './errors.js';
import type { JournalEntry, JournalPatch, RollbackJournal } from './journal.js';
import type { FaultDefinition, Logger, RevertContext } from './model.js';
import type { RevertResult } from './result.js';
import { sleep, timeoutSignal } from './timing.js';

/** How reverts are retried: `tries` attempts, backoff doubling from `backoffMs` up to `maxBackoffMs`. */
export interface RetryPolicy {
  tries: number;
  backoffMs: number;
  maxBackoffMs: number;
  /** One attempt's bound: a revert that hangs counts as failed (default 60 s). */
  attemptTimeoutMs: number;
}

/** Defaults: 3 tries, 100 ms then 200 ms apart, 60 s per attempt. */
export const DEFAULT_RETRY: RetryPolicy = {
  tries: 3,
  backoffMs: 100,
  maxBackoffMs: 5_000,
  attemptTimeoutMs: 60_000,
};

/** What the revert loop reports as it goes (the runner turns these into events). */
export interface RevertHooks {
  reverting?(attempt: number): void;
  reverted?(ms: number): void;
  failed?(error: { code: string; message: string }, manual: string): void;
}

/** The context a fault's revert gets, from the journal entry alone. */
export function revertContext(
  entry: JournalEntry,
  stateDir: string,
  log: Logger,
  signal: AbortSignal,
): RevertContext<any> {
  return {
    runId: entry.runId,
    stepId: entry.stepId,
    iteration: entry.iteration,
    objectName: entry.objectName,
    tunables: entry.tunables,
    stateDir,
    log,
    signal,
  };
}

/**
 * Reverts one journal entry with retries. Never throws for a failing revert: it ends `reverted` or
 * `revert_failed` (with the error and the fault's manual text) in the journal and in the result.
 * Runs to the end even when the run was aborted — reverts are not cancellable, only bounded.
 */
export async function revertEntry(
  entry: JournalEntry,
  fault: FaultDefinition<any, any>,
  deps: { journal: RollbackJournal; stateDir: string; log: Logger; retry: RetryPolicy },
  hooks: RevertHooks = {},
): Promise<RevertResult> {
  const t0 = performance.now();
  const receipt = entry.receipt ?? undefined;
  const base = { entryId: entry.id, stepId: entry.stepId, kind: entry.kind };
  // Not awaited on its own: a journal applies calls in the order they are made, so this and the
  // 'reverted' below share one write when the revert is quick. Whether a crash finds the entry
  // 'active' or 'reverting' changes nothing: both are reverted again.
  const marked = deps.journal.update(entry.id, { state: 'reverting' }).catch((e: unknown) => {
    deps.log.warn(`could not mark ${entry.id} reverting in the journal: ${errorToJSON(e).message}`);
  });
  let lastError: { code: string; message: string } = { code: 'FL_REVERT', message: 'not attempted' };
  for (let attempt = 1; attempt <= deps.retry.tries; attempt++) {
    hooks.reverting?.(attempt);
    const { signal, dispose } = timeoutSignal(deps.retry.attemptTimeoutMs);
    try {
      await Promise.race([
        fault.revert(receipt, revertContext(entry, deps.stateDir, deps.log, signal)),
        new Promise((_, reject) =>
          signal.addEventListener(
            'abort',
            () => reject(new Error(`revert timed out after ${deps.retry.attemptTimeoutMs}ms`)),
            { once: true },
          ),
        ),
      ]);
    } catch (e) {
      lastError = errorToJSON(e);
      deps.log.warn(
        `revert of ${entry.kind} (${entry.id}) attempt ${attempt}/${deps.retry.tries} failed: ${lastError.message}`,
      );
      if (attempt < deps.retry.tries)
        await sleep(Math.min(deps.retry.backoffMs * 2 ** (attempt - 1), deps.retry.maxBackoffMs));
      continue;
    } finally {
      dispose();
    }
    // The fault is reverted: that stands whatever the journal says next. A journal that cannot
    // record it (a full or dead disk) leaves the entry unfinished, and the next recover() reverts
    // it again, a no-op since reverts are idempotent; so it is reported, never retried as a revert.
    await marked;
    const journalError = await recordOrReport(
      deps,
      entry,
      { state: 'reverted', revertAttempts: attempt },
      'the revert succeeded',
    );
    const ms = Math.round(performance.now() - t0);
    hooks.reverted?.(ms);
    return { ...base, ok: true, attempts: attempt, ms, ...(journalError ? { journalError } : {}) };
  }
  const manual = manualText(entry, fault, deps.stateDir, deps.log);
  const error = {
    code: 'FL_REVERT',
    message: `${entry.kind} (${entry.id}) could not be reverted after ${deps.retry.tries} tries: ${lastError.message}`,
  };
  await marked;
  // the manual commands go to the log and the event whether or not the journal can keep them
  const journalError = await recordOrReport(
    deps,
    entry,
    { state: 'revert_failed', error, manual, revertAttempts: deps.retry.tries },
    'the revert failed for good',
  );
  deps.log.error(`${error.message}. Run by hand:\n${manual}`);
  hooks.failed?.(error, manual);
  return {
    ...base,
    ok: false,
    attempts: deps.retry.tries,
    ms: Math.round(performance.now() - t0),
    error,
    manual,
    ...(journalError ? { journalError } : {}),
  };
}

/** Writes a final patch; a journal that refuses is logged and returned, never thrown. */
async function recordOrReport(
  deps: { journal: RollbackJournal; log: Logger },
  entry: JournalEntry,
  patch: JournalPatch,
  what: string,
): Promise<{ code: string; message: string } | undefined> {
  try {
    await deps.journal.update(entry.id, patch);
    return undefined;
  } catch (e) {
    const err = errorToJSON(e);
    deps.log.error(
      `${what}, but the journal could not record ${entry.id} as ${patch.state}: ${err.message}. ` +
        `It stays unfinished there: the next recover() checks it again (reverts are idempotent).`,
    );
    return err;
  }
}

function manualText(
  entry: JournalEntry,
  fault: FaultDefinition<any, any>,
  stateDir: string,
  log: Logger,
): string {
  try {
    return fault.manual(
      entry.receipt ?? undefined,
      revertContext(entry, stateDir, log, new AbortController().signal),
    );
  } catch (e) {
    return `(the fault's manual() failed: ${errorToJSON(e).message}) — look for objects named ${entry.objectName}`;
  }
}
