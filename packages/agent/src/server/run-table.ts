import { randomUUID } from 'node:crypto';
import {
  type EventStream,
  type ExperimentSpec,
  FaultlineError,
  type FaultlineEvent,
  type RunHandle,
  type RunResult,
  type Runtime,
} from '@faultline/core';
import { Problem } from '../problem.js';
import { type LeaseRequest, RUN_ID, type RunStatus } from '../wire.js';
import { grantLease, type LeasePolicy, LeaseTimer } from './lease.js';

interface ActiveRun {
  id: string;
  handle: RunHandle;
  controller: AbortController;
  lease: LeaseTimer;
  experiment: string;
  startedAt: string;
}

/** What a finished run leaves in memory (the event log on disk has the rest). */
interface FinishedRun {
  experiment: string;
  startedAt: string;
  lastSeq: number;
  result: RunResult;
}

/** Where a run's events come from: its live stream, or its log once it ended. */
export type EventSource = ({ live: EventStream } | { past: FaultlineEvent[] }) & { heartbeatMs?: number };

/**
 * The agent's runs: the active ones with their leases, the recently finished ones in memory, and
 * every older one (also from before a restart) through the runtime's event log.
 */
export class RunTable {
  readonly #active = new Map<string, ActiveRun>();
  readonly #finished = new Map<string, FinishedRun>();

  constructor(
    readonly runtime: Runtime,
    readonly opts: { maxActiveRuns: number; lease: LeasePolicy; retain: number },
  ) {}

  get activeCount(): number {
    return this.#active.size;
  }

  /**
   * Starts a validated spec, or answers for the run that a retried POST already started. Throws
   * FL_BUSY past maxActiveRuns (checked after validation, so a bad spec is told what is wrong).
   */
  async start(
    spec: ExperimentSpec,
    o: { id?: string | undefined; lease?: LeaseRequest | undefined },
  ): Promise<{ created: boolean; status: RunStatus }> {
    if (o.id !== undefined) {
      const existing = await this.status(o.id).catch(() => undefined);
      if (existing) return { created: false, status: existing };
    }
    this.runtime.validate(spec);
    // a retry that raced its original past the await above
    const racing = o.id === undefined ? undefined : this.#active.get(o.id);
    if (racing) return { created: false, status: this.#activeStatus(racing) };
    if (this.#active.size >= this.opts.maxActiveRuns)
      throw new FaultlineError(
        'FL_BUSY',
        `this agent runs ${this.#active.size} experiment(s), its limit (maxActiveRuns); try again when one ends`,
        { details: { active: [...this.#active.keys()] } },
      );
    const id = o.id ?? randomUUID();
    const granted = grantLease(o.lease, this.opts.lease);
    const controller = new AbortController();
    const lease = new LeaseTimer(granted.heartbeatMs, granted.expiryMs, () =>
      controller.abort(
        new FaultlineError(
          'FL_LINK_LOST',
          `no lease renewal from the control plane for ${granted.expiryMs} ms (it renews every ${granted.heartbeatMs} ms): the control link is lost, so the run is aborted and its faults reverted`,
        ),
      ),
    );
    let handle: RunHandle;
    try {
      handle = this.runtime.run(spec, { signal: controller.signal, runId: id });
    } catch (e) {
      lease.stop();
      throw e;
    }
    const run: ActiveRun = {
      id,
      handle,
      controller,
      lease,
      experiment: spec.metadata.name,
      startedAt: new Date().toISOString(),
    };
    // the run's own start time, once its first event has it
    handle.events.on('run.started', (e) => {
      run.startedAt = e.ts;
    });
    this.#active.set(id, run);
    void handle.result.then((result) => this.#finish(run, result));
    return { created: true, status: this.#activeStatus(run) };
  }

  #finish(run: ActiveRun, result: RunResult): void {
    run.lease.stop();
    this.#finished.set(run.id, {
      experiment: run.experiment,
      startedAt: result.startedAt,
      lastSeq: run.handle.events.seq,
      result,
    });
    // the log on disk outlives this: memory keeps only the newest
    for (const old of this.#finished.keys()) {
      if (this.#finished.size <= this.opts.retain) break;
      this.#finished.delete(old);
    }
    this.#active.delete(run.id);
  }

  #activeStatus(run: ActiveRun): RunStatus {
    return {
      id: run.id,
      state: 'running',
      experiment: run.experiment,
      startedAt: run.startedAt,
      lastSeq: run.handle.events.seq,
      lease: run.lease.toJSON(),
    };
  }

  /** A run's status; FL_NOT_FOUND when this agent never ran it (or pruned its log). */
  async status(id: string): Promise<RunStatus> {
    const active = this.#active.get(id);
    if (active) return this.#activeStatus(active);
    const done = this.#finished.get(id);
    if (done) return { id, state: 'finished', ...done };
    return fromLog(id, await this.#log(id));
  }

  /** Runs, newest first: the active ones, then what the event log holds. */
  async list(limit: number): Promise<RunStatus[]> {
    const active = [...this.#active.values()].reverse().map((r) => this.#activeStatus(r));
    const seen = new Set(active.map((r) => r.id));
    const out = active;
    for (const id of await this.runtime.listRunLogs()) {
      if (out.length >= limit) break;
      if (seen.has(id)) continue;
      const done = this.#finished.get(id);
      out.push(done ? { id, state: 'finished', ...done } : fromLog(id, await this.#log(id).catch(() => [])));
    }
    return out.slice(0, limit);
  }

  /** Renews a running run's lease. */
  async renew(id: string): Promise<RunStatus> {
    const run = this.#active.get(id);
    if (!run) return this.status(id);
    run.lease.renew();
    return this.#activeStatus(run);
  }

  /** Aborts a running run (its faults are reverted); a run that ended already is answered as it is. */
  async abort(id: string, reason: string): Promise<RunStatus> {
    const run = this.#active.get(id);
    if (!run) return this.status(id);
    run.controller.abort(reason);
    return this.#activeStatus(run);
  }

  /** The run's events: live while it runs (resumable from any seq), from its log once it ended. */
  async events(id: string, afterSeq: number): Promise<EventSource> {
    const run = this.#active.get(id);
    if (run) return { live: run.handle.events, heartbeatMs: run.lease.heartbeatMs };
    return { past: (await this.#log(id)).filter((e) => e.seq > afterSeq) };
  }

  /** Aborts every active run and waits until each is reverted (the agent is shutting down). */
  async closeAll(reason: string): Promise<void> {
    const runs = [...this.#active.values()];
    for (const r of runs) r.controller.abort(reason);
    await Promise.all(runs.map((r) => r.handle.result));
  }

  async #log(id: string): Promise<FaultlineEvent[]> {
    if (!RUN_ID.test(id)) throw notFound(id);
    try {
      return await this.runtime.readRunLog(id);
    } catch {
      throw notFound(id);
    }
  }
}

function notFound(id: string): Problem {
  return new Problem(
    404,
    'FL_NOT_FOUND',
    `this agent has no run '${id.slice(0, 80)}' (GET /v1/runs lists them)`,
  );
}

/** A run known only from its log: finished if the log ends with the result, else interrupted. */
function fromLog(id: string, events: FaultlineEvent[]): RunStatus {
  const started = events.find((e) => e.type === 'run.started');
  const last = events.at(-1);
  const base = {
    id,
    ...(started?.type === 'run.started' ? { experiment: started.experiment, startedAt: started.ts } : {}),
    lastSeq: last?.seq ?? 0,
  };
  return last?.type === 'run.finished'
    ? { ...base, state: 'finished', startedAt: last.result.startedAt, result: last.result }
    : { ...base, state: 'interrupted' };
}
