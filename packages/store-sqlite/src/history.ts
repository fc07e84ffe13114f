import {
  type DurationInput,
  type FaultlineEvent,
  type JournalEntry,
  parseDuration,
  type Verdict,
} from '@faultline/core';
import type Database from 'better-sqlite3';

/** One run as listed by `runs()`. */
export interface RunSummary {
  runId: string;
  experiment: string;
  startedAt: string;
  /** Absent while the run is going (or its process died before the result). */
  finishedAt?: string;
  verdict?: Verdict;
  score: number | null;
}

/** Filter of `runs()`; times are ISO strings or Dates, on the start time; newest first. */
export interface RunQuery {
  experiment?: string;
  from?: Date | string;
  to?: Date | string;
  /** Default 100. */
  limit?: number;
}

/** One point of a score trend. */
export interface TrendPoint {
  runId: string;
  startedAt: string;
  score: number;
  verdict: Verdict;
}

/** The resilience score of an experiment over its last runs, oldest first. */
export interface ScoreTrend {
  experiment: string;
  points: TrendPoint[];
  mean: number | null;
  min: number | null;
  max: number | null;
  /** Least-squares change of the score per run (positive: getting more resilient); null under 2 points. */
  slope: number | null;
}

/** Which events to drop. Runs still going are never touched, nor are journal entries not yet reverted. */
export interface PruneOptions {
  /** Drop events of runs that started longer ago than this (a Date, or a duration such as '720h'). */
  olderThan?: Date | DurationInput;
  /** Keep the events of this many most recent runs, drop older ones. */
  keepRuns?: number;
  /** Also delete the runs' rows (spec, result, score); by default they stay, so trends survive. */
  dropRuns?: boolean;
}

/** What a prune removed. */
export interface PruneResult {
  runs: number;
  events: number;
  /** Journal entries of those runs that were `reverted` (history, not state: nothing to undo). */
  entries: number;
}

type RunRow = {
  run_id: string;
  experiment: string;
  started_at: string;
  finished_at: string | null;
  verdict: Verdict | null;
  score: number | null;
};

// an age is never waited for, so the timer bound on durations does not apply: '720h' (30 days) and
// more are fine, up to what a date can be computed from
const AGE_MAX_MS = Number.MAX_SAFE_INTEGER;

const iso = (t: Date | string): string =>
  typeof t === 'string' ? new Date(t).toISOString() : t.toISOString();

/** Maps a row to its summary. */
export function toSummary(r: RunRow): RunSummary {
  return {
    runId: r.run_id,
    experiment: r.experiment,
    startedAt: r.started_at,
    ...(r.finished_at ? { finishedAt: r.finished_at } : {}),
    ...(r.verdict ? { verdict: r.verdict } : {}),
    score: r.score,
  };
}

/** Runs, newest first. */
export function listRuns(db: Database.Database, q: RunQuery): RunSummary[] {
  const conditions: [string, string | undefined][] = [
    ['experiment = ?', q.experiment],
    ['started_at >= ?', q.from === undefined ? undefined : iso(q.from)],
    ['started_at <= ?', q.to === undefined ? undefined : iso(q.to)],
  ];
  const used = conditions.filter((c): c is [string, string] => c[1] !== undefined);
  const where = used.map((c) => c[0]);
  const args = used.map((c) => c[1]);
  const sql = `SELECT run_id, experiment, started_at, finished_at, verdict, score FROM runs
    ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY started_at DESC, id DESC LIMIT ?`;
  return db
    .prepare<unknown[], RunRow>(sql)
    .all(...args, q.limit ?? 100)
    .map(toSummary);
}

/** The score of the last `limit` finished runs that have one, oldest first, with summary figures. */
export function scoreTrend(db: Database.Database, experiment: string, limit: number): ScoreTrend {
  const rows = db
    .prepare<[string, number], RunRow>(
      `SELECT run_id, experiment, started_at, finished_at, verdict, score FROM runs
       WHERE experiment = ? AND score IS NOT NULL ORDER BY started_at DESC, id DESC LIMIT ?`,
    )
    .all(experiment, limit)
    .reverse();
  const points = rows.map((r) => ({
    runId: r.run_id,
    startedAt: r.started_at,
    score: r.score as number,
    verdict: r.verdict as Verdict,
  }));
  const scores = points.map((p) => p.score);
  const n = scores.length;
  const mean = n ? scores.reduce((a, b) => a + b, 0) / n : null;
  let slope: number | null = null;
  if (n >= 2 && mean !== null) {
    const xm = (n - 1) / 2;
    let num = 0;
    let den = 0;
    scores.forEach((y, x) => {
      num += (x - xm) * (y - mean);
      den += (x - xm) ** 2;
    });
    slope = num / den;
  }
  return {
    experiment,
    points,
    mean,
    min: n ? Math.min(...scores) : null,
    max: n ? Math.max(...scores) : null,
    slope,
  };
}

/** Events of one run from a seq on, in order. */
export function readEvents(
  db: Database.Database,
  runId: string,
  fromSeq: number,
  limit: number,
): FaultlineEvent[] {
  return db
    .prepare<[string, number, number], string>(
      'SELECT e.event FROM events e JOIN runs r ON r.id = e.run WHERE r.run_id = ? AND e.seq >= ? ORDER BY e.seq LIMIT ?',
    )
    .pluck()
    .all(runId, fromSeq, limit)
    .map((s) => JSON.parse(s) as FaultlineEvent);
}

/** Journal entries in the given states, oldest first. */
export function journalEntries(db: Database.Database, states: 'pending' | 'revert_failed'): JournalEntry[] {
  const where = states === 'pending' ? "state != 'reverted'" : "state = 'revert_failed'";
  return db
    .prepare<[], string>(`SELECT entry FROM journal WHERE ${where} ORDER BY created_at, rowid`)
    .pluck()
    .all()
    .map((s) => JSON.parse(s) as JournalEntry);
}

/** Deletes old events (and optionally runs) of finished runs, in one transaction. */
export function prune(db: Database.Database, opts: PruneOptions, now = Date.now()): PruneResult {
  const victims = new Set<number>();
  const finished = 'finished_at IS NOT NULL';
  if (opts.olderThan !== undefined) {
    const cutoff =
      opts.olderThan instanceof Date
        ? opts.olderThan
        : new Date(now - parseDuration(opts.olderThan, { max: AGE_MAX_MS }));
    for (const id of db
      .prepare<[string], number>(`SELECT id FROM runs WHERE ${finished} AND started_at < ?`)
      .pluck()
      .all(cutoff.toISOString()))
      victims.add(id);
  }
  if (opts.keepRuns !== undefined) {
    const sql = `SELECT id FROM runs WHERE ${finished} AND id NOT IN (SELECT id FROM runs ORDER BY started_at DESC, id DESC LIMIT ?)`;
    for (const id of db.prepare<[number], number>(sql).pluck().all(Math.max(0, opts.keepRuns)))
      victims.add(id);
  }
  const delEvents = db.prepare<[number], unknown>('DELETE FROM events WHERE run = ?');
  const delRun = db.prepare<[number], unknown>('DELETE FROM runs WHERE id = ?');
  // only `reverted`: a pending or revert_failed entry is what recovery and a person still need
  const delEntries = db.prepare<[number], unknown>(
    "DELETE FROM journal WHERE state = 'reverted' AND run_id = (SELECT run_id FROM runs WHERE id = ?)",
  );
  const out: PruneResult = { runs: 0, events: 0, entries: 0 };
  db.transaction(() => {
    for (const id of victims) {
      out.events += delEvents.run(id).changes;
      out.entries += delEntries.run(id).changes;
      if (opts.dropRuns) out.runs += delRun.run(id).changes;
    }
  }).immediate();
  return out;
}
