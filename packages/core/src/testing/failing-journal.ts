// A journal that fails on purpose: wrapped around a real journal, it makes chosen writes fail as a
// full or dying disk would (the "promise" tests fail each write of a run in turn with it).
import { FaultlineError } from '../errors.js';
import type { JournalEntry, JournalPatch, RollbackJournal } from '../journal.js';

/** One write the wrapper saw: its number (1-based, begins and updates together), the method and the entry id. */
export interface JournalCall {
  n: number;
  method: 'begin' | 'update';
  id: string;
  patch?: JournalPatch;
  /** When it was made (`performance.now()`). */
  at: number;
}

/** Which writes fail: the Nth only (`once`), every write from the Nth on (`from`: the disk died), or a predicate. */
export type FailPlan = { failAt: number; mode?: 'once' | 'from' } | ((call: JournalCall) => boolean);

/** A {@link RollbackJournal} over `inner` whose writes fail as the plan says; it records every write it saw. */
export interface FailingJournal extends RollbackJournal {
  /** Every begin/update call, in order, with whether it was made to fail. */
  readonly calls: Array<JournalCall & { failed: boolean }>;
}

/**
 * Wraps a journal so that chosen writes (begin/update) reject with FL_JOURNAL, as a full disk or a
 * dead device would make them; reads and close pass through. A failed write does not reach `inner`.
 */
export function failingJournal(inner: RollbackJournal, plan: FailPlan): FailingJournal {
  const calls: Array<JournalCall & { failed: boolean }> = [];
  const fails =
    typeof plan === 'function'
      ? plan
      : (c: JournalCall) => (plan.mode === 'from' ? c.n >= plan.failAt : c.n === plan.failAt);
  const write = <T>(call: Omit<JournalCall, 'n' | 'at'>, pass: () => Promise<T>): Promise<T> => {
    const c = { ...call, n: calls.length + 1, at: performance.now() };
    const failed = fails(c);
    calls.push({ ...c, failed });
    if (!failed) return pass();
    return Promise.reject(
      new FaultlineError('FL_JOURNAL', `injected failure of journal write #${c.n} (${c.method} ${c.id})`),
    );
  };
  return {
    calls,
    begin: (e: JournalEntry) => write({ method: 'begin', id: e.id }, () => inner.begin(e)),
    update: (id: string, patch: JournalPatch) =>
      write({ method: 'update', id, patch }, () => inner.update(id, patch)),
    pending: () => inner.pending(),
    get: (id: string) => inner.get(id),
    close: () => inner.close(),
  };
}
