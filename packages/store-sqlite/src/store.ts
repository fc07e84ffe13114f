import { setTimeout as sleep } from 'node:timers/promises';
import {
  type ExperimentSpec,
  FaultlineError,
  type FaultlineEvent,
  type JournalEntry,
  type RunResult,
} from '@faultline/core';
import { Connection, type SqliteOptions } from './connection.js';
import { BatchedEventSink, type EventSinkOptions } from './event-sink.js';
import * as history from './history.js';
import { SqliteJournal } from './journal.js';

/**
 * What the runtime needs from a run history. It is core's `RunSink` (`createRuntime({ store })`):
 * `runStarted` before the first event, `event` for every event (synchronously, in seq order),
 * `runFinished` once the run ended (after `run.finished` was emitted).
 */
export interface RunStore {
  /** Records the spec of a run about to start. */
  runStarted(run: { runId: string; spec: ExperimentSpec; startedAt?: string }): Promise<void>;
  /** Buffers one event; never throws and never waits for the disk (failures go to `onError`). */
  event(event: FaultlineEvent): void;
  /** Commits the buffered events, then the result (verdict, score); durable when it resolves. */
  runFinished(result: RunResult): Promise<void>;
  /** Commits the buffered events. */
  flush(): Promise<void>;
}

/** A run with its spec and result. */
export interface RunRecord extends history.RunSummary {
  spec?: ExperimentSpec;
  result?: RunResult;
}

/** How to replay a run's events. */
export interface ReplayOptions {
  /** First seq to return (default 1). */
  fromSeq?: number;
  /** Keep waiting for new events (written by this or another process) until `run.finished`. */
  follow?: boolean;
  /** How often a follower looks for new rows (default 100 ms). */
  pollMs?: number;
  /** Ends the iteration. */
  signal?: AbortSignal;
}

/** Options of {@link sqliteStore}. */
export interface SqliteStoreOptions extends SqliteOptions, EventSinkOptions {
  /** Applied when the store opens and after every recorded result. */
  retention?: history.PruneOptions;
}

/** Run history (specs, events, results, scores) and the journal in one SQLite file. */
export class SqliteStore implements RunStore {
  readonly #conn: Connection;
  readonly #sink: BatchedEventSink | undefined;
  readonly #retention: history.PruneOptions | undefined;
  readonly #onError: (error: unknown) => void;
  #journal: SqliteJournal | undefined;
  #closed = false;

  /** @internal A store over an open connection (takes its reference). Use {@link sqliteStore}. */
  constructor(conn: Connection, opts: SqliteStoreOptions = {}) {
    this.#conn = conn;
    this.#sink = conn.readonly ? undefined : new BatchedEventSink(conn, opts);
    this.#retention = opts.retention;
    this.#onError = opts.onError ?? defaultOnError;
    if (this.#retention && !conn.readonly) this.#prune(this.#retention);
  }

  /** The rollback journal in the same file (one connection, so one writer lock to wait for). */
  get journal(): SqliteJournal {
    this.#journal ??= new SqliteJournal(this.#conn.retain());
    return this.#journal;
  }

  async runStarted(run: { runId: string; spec: ExperimentSpec; startedAt?: string }): Promise<void> {
    const { runId, spec } = run;
    const startedAt = new Date(run.startedAt ?? Date.now()).toISOString();
    this.#writable();
    this.#conn.guard('record a run in', () =>
      this.#conn.db
        .prepare<[string, string, string, string], unknown>(
          `INSERT INTO runs (run_id, experiment, started_at, spec) VALUES (?, ?, ?, ?)
           ON CONFLICT (run_id) DO UPDATE SET experiment = excluded.experiment, spec = excluded.spec`,
        )
        .run(runId, spec.metadata.name, startedAt, JSON.stringify(spec)),
    );
  }

  event(event: FaultlineEvent): void {
    try {
      this.#writable().write(event);
    } catch (e) {
      this.#onError(e);
    }
  }

  async flush(): Promise<void> {
    this.#writable().flushSync();
  }

  async runFinished(result: RunResult): Promise<void> {
    const sink = this.#writable();
    sink.flushSync();
    const db = this.#conn.db;
    const save = db.prepare<[string, string, string, number | null, string, number], unknown>(
      'UPDATE runs SET experiment = ?, finished_at = ?, verdict = ?, score = ?, result = ? WHERE id = ?',
    );
    try {
      this.#conn.guard('record a result in', () =>
        db
          .transaction(() => {
            // the row exists unless runStarted was skipped; then the result creates it
            const row = sink.runRow(result.runId, result.experiment, result.startedAt);
            save.run(
              result.experiment,
              result.finishedAt,
              result.verdict,
              result.score,
              JSON.stringify(result),
              row,
            );
          })
          .immediate(),
      );
    } catch (e) {
      sink.forgetRuns(); // a row id cached inside the rolled-back transaction may not exist
      throw e;
    }
    if (this.#retention) this.#prune(this.#retention);
  }

  /** One run with its spec and result. */
  async run(runId: string): Promise<RunRecord | undefined> {
    type Row = Parameters<typeof history.toSummary>[0] & { spec: string | null; result: string | null };
    const r = this.#read(() =>
      this.#conn.db
        .prepare<[string], Row>(
          'SELECT run_id, experiment, started_at, finished_at, verdict, score, spec, result FROM runs WHERE run_id = ?',
        )
        .get(runId),
    );
    if (!r) return undefined;
    return {
      ...history.toSummary(r),
      ...(r.spec ? { spec: JSON.parse(r.spec) as ExperimentSpec } : {}),
      ...(r.result ? { result: JSON.parse(r.result) as RunResult } : {}),
    };
  }

  /** Runs, newest first (default limit 100). */
  async runs(query: history.RunQuery = {}): Promise<history.RunSummary[]> {
    return this.#read(() => history.listRuns(this.#conn.db, query));
  }

  /** The score of an experiment over its last `limit` scored runs (default 50), oldest first. */
  async scoreTrend(experiment: string, opts: { limit?: number } = {}): Promise<history.ScoreTrend> {
    return this.#read(() => history.scoreTrend(this.#conn.db, experiment, opts.limit ?? 50));
  }

  /** A run's events from `fromSeq` on (default: all), in seq order. */
  async events(runId: string, opts: { fromSeq?: number; limit?: number } = {}): Promise<FaultlineEvent[]> {
    return this.#read(() =>
      history.readEvents(this.#conn.db, runId, opts.fromSeq ?? 1, opts.limit ?? Number.MAX_SAFE_INTEGER),
    );
  }

  /** The events as an async iterator, page by page; with `follow`, waits for new ones until `run.finished`. */
  async *replay(runId: string, opts: ReplayOptions = {}): AsyncGenerator<FaultlineEvent> {
    let next = opts.fromSeq ?? 1;
    const page = 500;
    for (;;) {
      if (opts.signal?.aborted) return;
      // read "finished" before the page: recordResult commits the events first, so if the run was
      // finished before this read, the page holds everything that is left
      const finished = opts.follow === true && this.#read(() => this.#finished(runId));
      const batch = this.#read(() => history.readEvents(this.#conn.db, runId, next, page));
      for (const ev of batch) {
        yield ev;
        next = ev.seq + 1;
        if (ev.type === 'run.finished') return;
      }
      if (batch.length === page) continue;
      if (!opts.follow || finished) return;
      await sleep(opts.pollMs ?? 100, undefined, { signal: opts.signal }).catch(() => undefined);
    }
  }

  /** Journal entries not reverted (a fault may still be in effect), oldest first. */
  async pendingEntries(): Promise<JournalEntry[]> {
    return this.#read(() => history.journalEntries(this.#conn.db, 'pending'));
  }

  /** Entries whose revert failed for good: each has `manual`, the commands a person must run. */
  async manualInterventions(): Promise<JournalEntry[]> {
    return this.#read(() => history.journalEntries(this.#conn.db, 'revert_failed'));
  }

  /** Drops old events and reverted journal entries of finished runs (never a run still going, never a pending entry). */
  async prune(opts: history.PruneOptions): Promise<history.PruneResult> {
    return this.#prune(opts);
  }

  /** Commits buffered events and releases the file (the journal, if taken, keeps it open until its own close). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#sink?.flushSync();
    } finally {
      this.#conn.release();
    }
  }

  #prune(opts: history.PruneOptions): history.PruneResult {
    this.#sink?.flushSync();
    const out = this.#conn.guard('prune', () => history.prune(this.#conn.db, opts));
    if (opts.dropRuns) this.#sink?.forgetRuns();
    return out;
  }

  #writable(): BatchedEventSink {
    if (this.#closed)
      throw new FaultlineError('FL_JOURNAL', `store write on ${this.#conn.path} after close()`);
    if (!this.#sink)
      throw new FaultlineError(
        'FL_JOURNAL',
        `${this.#conn.path} was opened readonly; open it without readonly to record runs`,
      );
    return this.#sink;
  }

  /** Reads after committing this process's own buffered events, so a reader sees what was written. */
  #read<T>(fn: () => T): T {
    if (this.#closed)
      throw new FaultlineError('FL_JOURNAL', `store read on ${this.#conn.path} after close()`);
    this.#sink?.flushSync();
    return this.#conn.guard('read', fn);
  }

  /** The run's result is recorded (its run.finished event may have been pruned or never written). */
  #finished(runId: string): boolean {
    return (
      this.#conn.db
        .prepare<[string], number>('SELECT 1 FROM runs WHERE run_id = ? AND finished_at IS NOT NULL')
        .pluck()
        .get(runId) !== undefined
    );
  }
}

/**
 * Opens (creating and migrating) a run store; pass `{ readonly: true }` to view the history of a
 * file another process is writing. `store.journal` is the rollback journal in the same file.
 */
export function sqliteStore(path: string, opts: SqliteStoreOptions = {}): SqliteStore {
  return new SqliteStore(Connection.open(path, opts), opts);
}

/** Where a failed background write is reported when no `onError` is given. */
function defaultOnError(e: unknown): void {
  process.emitWarning(`faultline store: ${(e as Error).message}`);
}
