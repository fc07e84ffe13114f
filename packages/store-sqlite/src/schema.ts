import type Database from 'better-sqlite3';

/** `PRAGMA application_id` of a faultline database ("FLT1"), so a foreign SQLite file is never written to. */
export const APPLICATION_ID = 0x464c5431;

/**
 * Migrations, in order: `MIGRATIONS[n]` takes `PRAGMA user_version` from n to n + 1. Append only;
 * a shipped migration never changes, because files written by it exist on hosts.
 */
export const MIGRATIONS: readonly string[] = [
  // v1: the journal (one row an injection, the entry as JSON; state mirrored for the pending query),
  // runs and their events.
  `CREATE TABLE journal (
     id TEXT PRIMARY KEY,
     run_id TEXT NOT NULL,
     state TEXT NOT NULL,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     entry TEXT NOT NULL
   );
   CREATE INDEX journal_state ON journal(state);
   CREATE TABLE runs (
     id INTEGER PRIMARY KEY,
     run_id TEXT NOT NULL UNIQUE,
     experiment TEXT NOT NULL,
     started_at TEXT NOT NULL,
     finished_at TEXT,
     spec TEXT,
     result TEXT
   );
   CREATE TABLE events (
     run INTEGER NOT NULL,
     seq INTEGER NOT NULL,
     type TEXT NOT NULL,
     event TEXT NOT NULL,
     PRIMARY KEY (run, seq)
   ) WITHOUT ROWID;`,
  // v2: verdict and score as columns (backfilled from the stored results), so a trend over
  // thousands of runs reads two columns through an index instead of parsing every result.
  `ALTER TABLE runs ADD COLUMN verdict TEXT;
   ALTER TABLE runs ADD COLUMN score REAL;
   UPDATE runs SET verdict = json_extract(result, '$.verdict'), score = json_extract(result, '$.score')
     WHERE result IS NOT NULL;
   CREATE INDEX runs_experiment ON runs(experiment, started_at);
   CREATE INDEX runs_started ON runs(started_at);`,
];

/** The schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** What `inspect` found in a file's header. */
export interface SchemaState {
  version: number;
  applicationId: number;
  /** Tables that exist (to tell an empty file from someone else's database). */
  tables: number;
}

/** Reads the version, application id and table count. */
export function inspect(db: Database.Database): SchemaState {
  return {
    version: db.pragma('user_version', { simple: true }) as number,
    applicationId: db.pragma('application_id', { simple: true }) as number,
    tables:
      db.prepare<[], number>("SELECT count(*) FROM sqlite_master WHERE type = 'table'").pluck().get() ?? 0,
  };
}

/**
 * Brings the file to {@link SCHEMA_VERSION} inside the caller's write transaction and always
 * rewrites `user_version`, which doubles as a probe: a read-only file fails here, at open, rather
 * than at the first `begin` of a run.
 */
export function migrate(db: Database.Database, from: number): void {
  for (let v = from; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v] as string);
  db.pragma(`application_id = ${APPLICATION_ID}`);
  db.pragma(`user_version = ${SCHEMA_VERSION}`);
}
