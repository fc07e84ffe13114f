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
  /**
   * Set when the entry was rebuilt from a damaged journal line (what could not be read, and where the
   * line was kept): its fields may be partial, so recovery reports it loudly whatever it does.
   */
  damaged?: string;
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
  /** Lines this journal could not read, and where they were kept (journals that can be damaged: FileJournal). */
  damage?(): JournalDamage;
}

/** What a journal found damaged: reported by `recover()`. */
export interface JournalDamage {
  /** Lines that did not parse, as this process read them. */
  lines: DamagedLine[];
  /** Files holding lines set aside by compactions (this process's or earlier ones'): evidence for a person. */
  keptAside: string[];
}

/** One journal line that did not parse. */
export interface DamagedLine {
  journal: string;
  /** 1-based line and byte offset where it was read. */
  line: number;
  byte: number;
  /** The start of the line, as it is. */
  text: string;
  /** The entry rebuilt from it (a damaged begin whose id could be read). */
  entryId?: string;
  /** The file the line was copied to before a compaction dropped it from the journal. */
  keptIn?: string;
}

/** `(await import(module))[factory](...args)` opens the same journal in a fresh process. */
export interface JournalLocator {
  module: string;
  factory: string;
  args: Json[];
}

/** States that mean "may still be in effect". */
export const UNFINISHED_STATES: readonly JournalState[] = ['injecting', 'active', 'reverting'];
