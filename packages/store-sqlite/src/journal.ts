import {
  FaultlineError,
  type JournalEntry,
  type JournalLocator,
  type JournalPatch,
  type RollbackJournal,
} from '@faultline/core';
import { Connection, type SqliteOptions } from './connection.js';

type Op =
  | { kind: 'begin'; entry: JournalEntry; resolve: () => void; reject: (e: unknown) => void }
  | { kind: 'update'; id: string; patch: JournalPatch; resolve: () => void; reject: (e: unknown) => void };

/**
 * The rollback journal on SQLite. Writes queued in the same turn of the event loop (a parallel
 * group's begins) commit in one transaction: one fsync for all of them, and each promise resolves
 * only after that commit.
 */
export class SqliteJournal implements RollbackJournal {
  readonly #conn: Connection;
  #queue: Op[] = [];
  #scheduled = false;
  #closed = false;
  #commits = 0;
  readonly #insert;
  readonly #select;
  readonly #save;
  readonly #pending;

  /** @internal Journal over an open connection (the store shares its own); takes one reference. Use {@link sqliteJournal}. */
  constructor(conn: Connection) {
    this.#conn = conn;
    const db = conn.db;
    this.#insert = db.prepare<[string, string, string, string, string, string], unknown>(
      'INSERT INTO journal (id, run_id, state, created_at, updated_at, entry) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.#select = db.prepare<[string], string>('SELECT entry FROM journal WHERE id = ?').pluck();
    this.#save = db.prepare<[string, string, string, string], unknown>(
      'UPDATE journal SET state = ?, updated_at = ?, entry = ? WHERE id = ?',
    );
    // rowid breaks ties between entries created in the same millisecond: insertion order
    this.#pending = db
      .prepare<[], string>("SELECT entry FROM journal WHERE state != 'reverted' ORDER BY created_at, rowid")
      .pluck();
  }

  /** Durable when the promise resolves (WAL commit with synchronous=FULL). */
  begin(entry: JournalEntry): Promise<void> {
    return this.#enqueue((resolve, reject) => ({
      kind: 'begin',
      entry: structuredClone(entry),
      resolve,
      reject,
    }));
  }

  /** Merges the patch and stamps `updatedAt`; durable when the promise resolves. Unknown id: FL_JOURNAL. */
  update(id: string, patch: JournalPatch): Promise<void> {
    return this.#enqueue((resolve, reject) => ({
      kind: 'update',
      id,
      patch: structuredClone(patch),
      resolve,
      reject,
    }));
  }

  /** Entries not `reverted`, oldest first, whichever process wrote them. */
  async pending(): Promise<JournalEntry[]> {
    this.#assertOpen('pending()');
    this.#flush();
    return this.#conn.guard('read the journal', () =>
      this.#pending.all().map((s) => JSON.parse(s) as JournalEntry),
    );
  }

  /** One entry by id, whatever its state. */
  async get(id: string): Promise<JournalEntry | undefined> {
    this.#assertOpen('get()');
    this.#flush();
    const s = this.#conn.guard('read the journal', () => this.#select.get(id));
    return s === undefined ? undefined : (JSON.parse(s) as JournalEntry);
  }

  /** Commits what is queued, then releases the file. Idempotent. */
  /** How the sentinel (another process) opens this same journal after a crash of this one. */
  locator(): JournalLocator | undefined {
    const path = this.#conn.path;
    return path === ':memory:'
      ? undefined
      : { module: '@faultline/store-sqlite', factory: 'sqliteJournal', args: [path] };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      this.#flush();
    } finally {
      this.#closed = true;
      this.#conn.release();
    }
  }

  /** Transactions committed so far by this journal (a parallel group's begins count once). */
  get commits(): number {
    return this.#commits;
  }

  #assertOpen(what: string): void {
    if (this.#closed) throw new FaultlineError('FL_JOURNAL', `journal ${what} after close()`);
    this.#conn.assertOpen(`journal ${what}`);
  }

  #enqueue(make: (resolve: () => void, reject: (e: unknown) => void) => Op): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#assertOpen('write');
      this.#queue.push(make(resolve, reject));
      if (!this.#scheduled) {
        this.#scheduled = true;
        // setImmediate rather than a microtask: begins that follow a few awaits in the same
        // turn (p-limit, validation) still land in the same transaction
        setImmediate(() => this.#flush());
      }
    });
  }

  /** Commits every queued write in one transaction; a bad op fails alone, a failed commit fails all. */
  #flush(): void {
    this.#scheduled = false;
    const ops = this.#queue;
    if (ops.length === 0) return;
    this.#queue = [];
    const outcome: (FaultlineError | undefined)[] = [];
    try {
      this.#conn.guard('write the journal', () =>
        this.#conn.db
          .transaction(() => {
            for (const op of ops) outcome.push(this.#apply(op));
          })
          .immediate(),
      );
    } catch (e) {
      for (const op of ops) op.reject(e);
      return;
    }
    this.#commits++;
    ops.forEach((op, i) => {
      const err = outcome[i];
      if (err) op.reject(err);
      else op.resolve();
    });
  }

  /** Applies one op inside the transaction; a problem with the op itself is returned, SQL errors throw. */
  #apply(op: Op): FaultlineError | undefined {
    if (op.kind === 'begin') {
      const e = op.entry;
      try {
        this.#insert.run(e.id, e.runId, e.state, e.createdAt, e.updatedAt, JSON.stringify(e));
      } catch (err) {
        // a constraint error rolls back this statement only; the rest of the group still commits
        if ((err as { code?: string }).code !== 'SQLITE_CONSTRAINT_PRIMARYKEY') throw err;
        return new FaultlineError(
          'FL_JOURNAL',
          `journal entry ${e.id} already exists; an injection is begun once`,
        );
      }
      return undefined;
    }
    const current = this.#select.get(op.id);
    if (current === undefined) return new FaultlineError('FL_JOURNAL', `no journal entry ${op.id} to update`);
    const next: JournalEntry = {
      ...(JSON.parse(current) as JournalEntry),
      ...op.patch,
      updatedAt: new Date().toISOString(),
    };
    this.#save.run(next.state, next.updatedAt, JSON.stringify(next), op.id);
    return undefined;
  }
}

/**
 * A {@link RollbackJournal} in a SQLite file (WAL, synchronous=FULL, versioned schema). Several
 * processes may use the same file at once. Every failure is a FaultlineError `FL_JOURNAL`.
 */
export function sqliteJournal(path: string, opts: Omit<SqliteOptions, 'readonly'> = {}): SqliteJournal {
  return new SqliteJournal(Connection.open(path, opts));
}
