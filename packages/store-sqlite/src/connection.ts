import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { FaultlineError } from '@faultline/core';
import Database from 'better-sqlite3';
import { journalError } from './errors.js';
import { APPLICATION_ID, inspect, migrate, SCHEMA_VERSION } from './schema.js';

/** How to open a faultline database. */
export interface SqliteOptions {
  /** How long a write waits for another process's lock before failing with FL_JOURNAL (default 5000). */
  busyTimeoutMs?: number;
  /** Open for reading only (a history viewer): nothing is created, migrated or written. */
  readonly?: boolean;
  /**
   * Grow the WAL file to this size at open (default 4 MiB, about SQLite's auto-checkpoint size; 0:
   * off). A commit that must extend the WAL costs the filesystem a block allocation inside the
   * fsync — about twice a commit that overwrites WAL space already allocated.
   */
  walPreallocateBytes?: number;
}

/** One open database, shared (reference-counted) by a store and its journal. */
export class Connection {
  readonly db: Database.Database;
  readonly path: string;
  readonly readonly: boolean;
  #refs = 1;

  private constructor(db: Database.Database, path: string, readonly: boolean) {
    this.db = db;
    this.path = path;
    this.readonly = readonly;
  }

  /** Opens (creating and migrating unless read-only) and checks the file; every failure is FL_JOURNAL. */
  static open(path: string, opts: SqliteOptions = {}): Connection {
    const readonly = opts.readonly ?? false;
    let db: Database.Database;
    try {
      if (!readonly && path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      db = new Database(path, { readonly, fileMustExist: readonly, timeout: opts.busyTimeoutMs ?? 5000 });
    } catch (e) {
      throw journalError(e, path, 'open');
    }
    try {
      prepare(db, path, readonly);
    } catch (e) {
      db.close();
      throw journalError(e, path, 'open');
    }
    if (!readonly && path !== ':memory:')
      preallocateWal(db, path, opts.walPreallocateBytes ?? 4 * 1024 * 1024);
    return new Connection(db, path, readonly);
  }

  /** Another user of this connection; each calls {@link release} once. */
  retain(): this {
    this.#refs++;
    return this;
  }

  /** Drops one reference; the last one closes the file. */
  release(): void {
    if (--this.#refs === 0 && this.db.open) this.db.close();
  }

  /** Throws FL_JOURNAL when the caller has already closed it. */
  assertOpen(what: string): void {
    if (!this.db.open) throw new FaultlineError('FL_JOURNAL', `${what} on ${this.path} after close()`);
  }

  /** Runs `fn`, wrapping any SQLite error into FL_JOURNAL. */
  guard<T>(action: string, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      throw journalError(e, this.path, action);
    }
  }
}

function prepare(db: Database.Database, path: string, readonly: boolean): void {
  if (!readonly) {
    // WAL: readers in other processes never block the writer; FULL: every commit is fsynced
    // before it returns, which is what "durable before inject" needs. Both are per-connection
    // except journal_mode, which is stored in the file.
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal' && path !== ':memory:')
      throw new FaultlineError(
        'FL_JOURNAL',
        `${path}: SQLite refused WAL mode (got ${String(mode)}); put the journal on a local filesystem`,
      );
  }
  db.pragma('synchronous = FULL');
  const check = (s: ReturnType<typeof inspect>): void => {
    if (s.applicationId !== 0 && s.applicationId !== APPLICATION_ID) {
      throw new FaultlineError(
        'FL_JOURNAL',
        `${path} is a SQLite database of another application (application_id ${s.applicationId}); faultline will not write to it — choose another path`,
      );
    }
    if (s.applicationId === 0 && s.version === 0 && s.tables > 0) {
      throw new FaultlineError(
        'FL_JOURNAL',
        `${path} is a SQLite database faultline did not create (it has tables but no faultline schema); choose another path`,
      );
    }
    if (s.version > SCHEMA_VERSION) {
      throw new FaultlineError(
        'FL_JOURNAL',
        `${path} has schema v${s.version}, written by a newer @faultline/store-sqlite; this one reads up to v${SCHEMA_VERSION}. Upgrade @faultline/store-sqlite (the file was left untouched).`,
        { details: { path, version: s.version, supported: SCHEMA_VERSION } },
      );
    }
  };
  if (readonly) {
    const s = inspect(db);
    check(s);
    if (s.version < SCHEMA_VERSION) {
      throw new FaultlineError(
        'FL_JOURNAL',
        `${path} has schema v${s.version} and this reader needs v${SCHEMA_VERSION}; open it once without readonly to migrate it`,
      );
    }
    return;
  }
  // IMMEDIATE: two processes opening an old file at once migrate it once, one after the other.
  db.transaction(() => {
    const s = inspect(db);
    check(s);
    migrate(db, s.version);
  }).immediate();
}

/**
 * Grows the WAL without touching the database: a transaction larger than a tiny page cache spills
 * its pages into the WAL, and its rollback leaves the file at that size. Frames without a commit
 * record are ignored by readers and recovery (the same path as any rolled-back large transaction),
 * and later commits overwrite them. Best effort: a failure only costs speed.
 */
function preallocateWal(db: Database.Database, path: string, bytes: number): void {
  let size = 0;
  try {
    size = statSync(`${path}-wal`).size;
  } catch {
    // no WAL yet
  }
  if (size >= bytes) return;
  const cacheSize = db.pragma('cache_size', { simple: true }) as number;
  try {
    db.pragma('cache_size = 8');
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec('CREATE TABLE faultline_wal_warmup (b BLOB)');
      const row = db.prepare('INSERT INTO faultline_wal_warmup VALUES (zeroblob(4000))');
      for (let i = 0; i < Math.ceil(bytes / 4096); i++) row.run();
    } finally {
      db.exec('ROLLBACK');
    }
  } catch {
    // another process holds the lock, or the disk is full: the WAL grows as it goes instead
  } finally {
    db.pragma(`cache_size = ${cacheSize}`);
  }
}
