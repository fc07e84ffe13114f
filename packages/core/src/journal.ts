import type { Json } from './json.js';

/** injecting → active → reverting → reverted | revert_failed. */
export type JournalState = 'injecting' | 'active' | 'reverting' | 'reverted' | 'revert_failed';

/** One injection, written durably before inject starts. A fresh process has only this. */
export interface JournalEntry {
  /** Unique: `<runId>:<stepId>:<iteration>`. */
  id: string;
  runId: string;
  stepId: string;
  iteration: number;
  kind: string;
  /** The module specifier of the pack that defines `kind` (so a recovering process can import it). */
  pack: string;
  /** Validated tunables (output form). */
  tunables: Json;
  objectName: string;
  state: JournalState;
  /** Set once inject returned. */
  receipt?: Json;
  /** /proc/sys/kernel/random/boot_id of the boot that injected. */
  bootId: string;
  /** The process that injected, and its start time (/proc/PID/stat field 22), so a recycled pid is not mistaken. */
  pid: number;
  pidStart: string;
  createdAt: string;
  updatedAt: string;
  /** The last revert error. */
  error?: { code: string; message: string };
  /** The manual commands, once a revert failed for good. */
  manual?: string;
  revertAttempts?: number;
}

/** What `update` may change. */
export type JournalPatch = Partial<
  Pick<JournalEntry, 'state' | 'receipt' | 'error' | 'manual' | 'revertAttempts'>
>;

/**
 * The rollback journal: what makes revert possible after a crash or a reboot.
 * `begin` and any patch that sets `revert_failed` or manual commands are durable when the promise
 * resolves; other patches are at least visible to every process on the host (a journal may make
 * them durable a moment later). Calls take effect in the order they are made, awaited or not.
 */
export interface RollbackJournal {
  begin(entry: JournalEntry): Promise<void>;
  update(id: string, patch: JournalPatch): Promise<void>;
  /** Entries not `reverted` (including `revert_failed`), oldest first, as written by any process. */
  pending(): Promise<JournalEntry[]>;
  /** One entry by id, whatever its state. */
  get(id: string): Promise<JournalEntry | undefined>;
  close(): Promise<void>;
  /**
   * How another process (the sentinel, a supervisor) opens this same journal. Journals without it
   * (MemoryJournal) cannot be watched by a sentinel.
   */
  locator?(): JournalLocator | undefined;
}

/** `(await import(module))[factory](...args)` opens the same journal in a fresh process. */
export interface JournalLocator {
  module: string;
  factory: string;
  args: Json[];
}

/** States that mean "may still be in effect". */
export const UNFINISHED_STATES: readonly JournalState[] = ['injecting', 'active', 'reverting'];
