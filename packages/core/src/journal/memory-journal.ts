import type { JournalEntry, JournalPatch, RollbackJournal } from '../journal.js';
import { applyPatch, checkEntry, closedError, duplicateError, unknownError, updateStamp } from './records.js';

/**
 * A {@link RollbackJournal} in this process's memory: for tests and for embedding where a crash
 * needs no recovery. Nothing survives the process. Entries go in and come out as copies, so a
 * caller mutating one cannot change the journal.
 */
export class MemoryJournal implements RollbackJournal {
  // Map keeps insertion order: pending() is oldest first for free
  readonly #entries = new Map<string, JournalEntry>();
  #closed = false;

  /** Records the entry; FL_JOURNAL when its id is already journaled. */
  async begin(entry: JournalEntry): Promise<void> {
    this.#assertOpen('begin()');
    checkEntry(entry);
    if (this.#entries.has(entry.id)) throw duplicateError(entry.id);
    this.#entries.set(entry.id, structuredClone(entry));
  }

  /** Merges the patch and stamps `updatedAt`; FL_JOURNAL for an unknown id. */
  async update(id: string, patch: JournalPatch): Promise<void> {
    this.#assertOpen('update()');
    const current = this.#entries.get(id);
    if (!current) throw unknownError(id);
    this.#entries.set(id, applyPatch(current, structuredClone(patch), updateStamp(current.updatedAt)));
  }

  /** Entries not `reverted`, oldest first. */
  async pending(): Promise<JournalEntry[]> {
    this.#assertOpen('pending()');
    return [...this.#entries.values()].filter((e) => e.state !== 'reverted').map((e) => structuredClone(e));
  }

  /** One entry by id, whatever its state. */
  async get(id: string): Promise<JournalEntry | undefined> {
    this.#assertOpen('get()');
    const e = this.#entries.get(id);
    return e && structuredClone(e);
  }

  /** Drops the entries; later calls fail with FL_JOURNAL. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#entries.clear();
  }

  #assertOpen(what: string): void {
    if (this.#closed) throw closedError(what);
  }
}
