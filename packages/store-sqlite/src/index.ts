/**
 * @faultline/store-sqlite — the rollback journal and the run history of faultline in one SQLite
 * file (better-sqlite3, WAL, synchronous=FULL, versioned schema).
 */

export type { SqliteOptions } from './connection.js';
export type { EventSink, EventSinkOptions } from './event-sink.js';
export type { PruneOptions, PruneResult, RunQuery, RunSummary, ScoreTrend, TrendPoint } from './history.js';
export { SqliteJournal, sqliteJournal } from './journal.js';
export { SCHEMA_VERSION } from './schema.js';
export {
  type ReplayOptions,
  type RunRecord,
  type RunStore,
  SqliteStore,
  type SqliteStoreOptions,
  sqliteStore,
} from './store.js';
