import type { FaultlineEvent } from '@faultline/core';
import type { Connection } from './connection.js';

/** When the buffered events are written. */
export interface EventSinkOptions {
  /** Flush as soon as this many events are buffered (default 1000). */
  batchSize?: number;
  /** Flush this long after the first buffered event; 0 flushes on the next microtask (default 20). */
  flushMs?: number;
  /** A background flush failed (the events stay buffered for the next try). Default: a process warning. */
  onError?: (error: unknown) => void;
}

/** Buffered, never-throwing writer of events; `flush()` resolves when they are committed. */
export interface EventSink {
  /** Buffers one event; never throws, never blocks on the disk. */
  write(event: FaultlineEvent): void;
  /** Commits everything buffered in one transaction. */
  flush(): Promise<void>;
}

/** Past this many unwritten events (the disk keeps failing) the oldest are dropped, not the process. */
const MAX_BUFFERED = 1_000_000;

/**
 * Batches events into one transaction per flush: a run emits bursts (a parallel group, a poll of
 * many probes), and one fsync per burst instead of per event is what makes ≥100k events/s durable.
 */
export class BatchedEventSink implements EventSink {
  readonly #conn: Connection;
  readonly #batchSize: number;
  readonly #flushMs: number;
  readonly #onError: (error: unknown) => void;
  readonly #insert;
  readonly #runId;
  readonly #newRun;
  readonly #runIds = new Map<string, number>();
  #buffer: FaultlineEvent[] = [];
  #timer: NodeJS.Timeout | undefined;
  #micro = false;

  /** A sink over an open connection. */
  constructor(conn: Connection, opts: EventSinkOptions = {}) {
    this.#conn = conn;
    this.#batchSize = opts.batchSize ?? 1000;
    this.#flushMs = opts.flushMs ?? 20;
    this.#onError =
      opts.onError ??
      ((e) => process.emitWarning(`faultline store: events not yet saved: ${(e as Error).message}`));
    const db = conn.db;
    // OR IGNORE: an agent that reconnects may send an event twice; (run, seq) identifies it
    this.#insert = db.prepare<[number, number, string, string], unknown>(
      'INSERT OR IGNORE INTO events (run, seq, type, event) VALUES (?, ?, ?, ?)',
    );
    this.#runId = db.prepare<[string], number>('SELECT id FROM runs WHERE run_id = ?').pluck();
    this.#newRun = db.prepare<[string, string, string], unknown>(
      'INSERT OR IGNORE INTO runs (run_id, experiment, started_at) VALUES (?, ?, ?)',
    );
  }

  /** The row id of a run, creating a bare row when events arrive before `runStarted`. */
  runRow(runId: string, experiment = '', startedAt = new Date().toISOString()): number {
    const cached = this.#runIds.get(runId);
    if (cached !== undefined) return cached;
    let id = this.#runId.get(runId);
    if (id === undefined) {
      this.#newRun.run(runId, experiment, startedAt);
      id = this.#runId.get(runId) as number;
    }
    this.#runIds.set(runId, id);
    return id;
  }

  /** Forgets cached run ids (after a prune removed rows). */
  forgetRuns(): void {
    this.#runIds.clear();
  }

  write(event: FaultlineEvent): void {
    if (this.#buffer.length >= MAX_BUFFERED) this.#buffer.shift();
    this.#buffer.push(event);
    // a full batch is written at once, so a producer in a tight loop cannot grow the buffer unbounded
    if (this.#buffer.length >= this.#batchSize) this.#background();
    else if (event.type === 'run.finished' || this.#flushMs === 0) this.#soon();
    else this.#timer ??= setTimeout(() => this.#background(), this.#flushMs).unref();
  }

  async flush(): Promise<void> {
    this.flushSync();
  }

  /** Buffered events not yet committed. */
  get buffered(): number {
    return this.#buffer.length;
  }

  /** Commits the buffer now (throws FL_JOURNAL; the events then stay buffered). */
  flushSync(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#buffer.length === 0) return;
    const batch = this.#buffer;
    this.#buffer = [];
    try {
      this.#conn.guard('write events to', () =>
        this.#conn.db
          .transaction(() => {
            for (const ev of batch) {
              const experiment = ev.type === 'run.started' ? ev.experiment : '';
              this.#insert.run(this.runRow(ev.runId, experiment, ev.ts), ev.seq, ev.type, JSON.stringify(ev));
            }
          })
          .immediate(),
      );
    } catch (e) {
      // the run ids cached inside the rolled-back transaction may not exist
      this.#runIds.clear();
      this.#buffer = batch.concat(this.#buffer);
      throw e;
    }
  }

  #soon(): void {
    if (this.#micro) return;
    this.#micro = true;
    queueMicrotask(() => {
      this.#micro = false;
      this.#background();
    });
  }

  #background(): void {
    try {
      if (this.#conn.db.open) this.flushSync();
    } catch (e) {
      this.#onError(e);
    }
  }
}
