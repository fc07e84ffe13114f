import { FaultlineError } from '../errors.js';
import type { JournalEntry, JournalPatch, JournalState } from '../journal.js';

/** One line of a JSONL journal: an entry begun, or a patch to one. */
export type JournalRecord =
  | { op: 'begin'; entry: JournalEntry }
  | { op: 'update'; id: string; patch: JournalPatch; at: string };

const STATES: ReadonlySet<string> = new Set<JournalState>([
  'injecting',
  'active',
  'reverting',
  'reverted',
  'revert_failed',
]);

/** Patch keys whose loss in a power cut costs at most a redundant (idempotent) revert. */
const SOON_KEYS: ReadonlySet<string> = new Set(['state', 'receipt', 'revertAttempts', 'error']);

/**
 * When a journal write must be on disk:
 * - `now`: fsync'd before the call resolves: a begin (nothing is injected before it is durable),
 *   `revert_failed` and manual commands (what a person must act on);
 * - `soon`: written before the call resolves (from then on every process on the host reads it: the
 *   sentinel, a `recover`), fsync'd by the next group's fsync or in the background within a few
 *   milliseconds: a receipt, and progress through `reverting`/`reverted`. A power cut before that
 *   fsync leaves an entry `injecting` or `active`, which recovery reverts again from the entry —
 *   as it must after a death mid-inject, since revert accepts a missing receipt and is idempotent.
 */
export type Durability = 'now' | 'soon';

/** How soon a patch must be durable (see {@link Durability}). */
export function patchDurability(patch: JournalPatch): Durability {
  if (patch.manual !== undefined || patch.state === 'injecting' || patch.state === 'revert_failed')
    return 'now';
  return Object.keys(patch).every((k) => SOON_KEYS.has(k)) ? 'soon' : 'now';
}

/** The entry after a patch, stamped `at`. */
export function applyPatch(entry: JournalEntry, patch: JournalPatch, at: string): JournalEntry {
  return { ...entry, ...patch, updatedAt: at };
}

/**
 * A timestamp for an update: now, but always after the entry's last one (by at least 1 ms), so the
 * updates of one entry are ordered by their stamps even when several processes append them.
 */
export function updateStamp(previous: string | undefined): string {
  const now = Date.now();
  const prev = previous === undefined ? Number.NaN : Date.parse(previous);
  return new Date(Number.isFinite(prev) && prev >= now ? prev + 1 : now).toISOString();
}

/** True when an update stamped `at` comes after the entry's `updatedAt` (a stamp that cannot be parsed counts as newer). */
export function isNewer(at: string, updatedAt: string): boolean {
  return !(Date.parse(at) <= Date.parse(updatedAt));
}

/** Checks what TypeScript cannot: the entry came from JSON or from JavaScript. */
export function checkEntry(entry: JournalEntry): void {
  if (typeof entry?.id !== 'string' || entry.id === '' || !STATES.has(entry.state)) {
    throw new FaultlineError(
      'FL_JOURNAL',
      `journal entry ${JSON.stringify(entry?.id)} needs a non-empty string id and a state among ${[...STATES].join(', ')}`,
    );
  }
}

/** FL_JOURNAL for a begin whose id is already journaled. */
export function duplicateError(id: string): FaultlineError {
  return new FaultlineError(
    'FL_JOURNAL',
    `journal entry ${id} already exists; an injection is begun once (ids are <runId>:<stepId>:<iteration>)`,
  );
}

/** FL_JOURNAL for an update to an id the journal does not hold. */
export function unknownError(id: string): FaultlineError {
  return new FaultlineError('FL_JOURNAL', `no journal entry ${id} to update; begin() it before injecting`);
}

/** FL_JOURNAL for a call after close(). */
export function closedError(what: string): FaultlineError {
  return new FaultlineError('FL_JOURNAL', `journal ${what} after close(); open the journal again`);
}

/** Parses one line; undefined when it is not a well-formed record. */
export function parseRecord(line: string): JournalRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const r = value as Record<string, unknown>;
  if (r.op === 'begin') {
    const e = r.entry as Record<string, unknown> | null | undefined;
    if (typeof e !== 'object' || e === null || typeof e.id !== 'string' || !STATES.has(e.state as string))
      return undefined;
    return { op: 'begin', entry: e as unknown as JournalEntry };
  }
  if (r.op === 'update' && typeof r.id === 'string' && typeof r.at === 'string') {
    if (typeof r.patch !== 'object' || r.patch === null || Array.isArray(r.patch)) return undefined;
    const patch = r.patch as JournalPatch;
    if (patch.state !== undefined && !STATES.has(patch.state)) return undefined;
    return { op: 'update', id: r.id, patch, at: r.at };
  }
  return undefined;
}
