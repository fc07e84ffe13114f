import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { errorToJSON, FaultlineError } from './errors.js';
import { EventLog } from './event-log.js';
import { EventStream } from './event-stream.js';
import type { FaultlineEvent } from './events.js';
import { Guard, type SentinelOptions } from './guard.js';
import { type ExecuteOptions, hostFacts, type Infrastructure } from './infrastructure.js';
import { defaultJournalPath, FileJournal } from './journal/file-journal.js';
import { prepareStateDir } from './journal/state-dir.js';
import type { JournalEntry, RollbackJournal } from './journal.js';
import { silentLogger } from './logger.js';
import type { Capability, Pack } from './model.js';
import { type Plan, planExperiment } from './plan.js';
import { defaultStateDir, nodePlatform, type Platform, withBootId } from './platform.js';
import type { PriorityControl } from './priority.js';
import { type RecoverOptions, type RecoveryReport, recover, type TrustedPacks } from './recover.js';
import { Registry } from './registry.js';
import type { RunResult } from './result.js';
import { DEFAULT_RETRY, type RetryPolicy } from './revert.js';
import { type RunHandle, startRun } from './runner.js';
import type { ExperimentSpec } from './spec.js';

/** Where a runtime also sends each run (a run-history store such as @faultline/store-sqlite). */
export interface RunSink {
  runStarted?(run: { runId: string; spec: ExperimentSpec }): void | Promise<void>;
  event(e: FaultlineEvent): void;
  runFinished?(result: RunResult): void | Promise<void>;
}

/** Options of {@link createRuntime}. */
export interface RuntimeOptions {
  /** Packs to register (faults, probes). More with `runtime.register()`. */
  packs?: Pack[];
  /** The state directory (journal, run logs). Default: see `defaultStateDir()`. */
  stateDir?: string;
  /** The rollback journal. Default: a FileJournal at `<stateDir>/journal.jsonl`. */
  journal?: RollbackJournal;
  /** Runs and events also go here. */
  store?: RunSink;
  /** Reverts retried: default 3 tries, 100 ms backoff doubling. */
  retry?: Partial<RetryPolicy>;
  /** Keep each run's events as NDJSON under `<stateDir>/runs` (default: keep the last 200), or `false`. */
  eventLog?: false | { retain?: number };
  /** Run `recover()` before anything else (default true). */
  recover?: boolean | RecoverOptions;
  /**
   * Module specifiers recovery may `import()` when a journal entry names a pack that is not
   * registered (default none: register the packs instead). Recovery never imports anything else a
   * journal line names.
   */
  trustPacks?: TrustedPacks;
  /** Replaces the machine facts (tests). */
  platform?: Platform;
  /** Overrides the boot id (a test simulates a reboot with it). */
  bootId?: string;
  /**
   * A detached sentinel process reverts from the journal if this process dies (SIGKILL, OOM, crash)
   * while runs are active (default on; needs a journal another process can open, e.g. FileJournal).
   */
  sentinel?: boolean | SentinelOptions;
  /**
   * Handle SIGINT, SIGTERM and SIGHUP while a run is active: abort, revert, then re-raise the signal
   * (default true). Turn off in hosts that own their signals, and abort runs yourself.
   */
  signals?: boolean;
  /**
   * Run the runtime's main thread SCHED_FIFO while runs are active (`true` = priority 10, or a
   * priority 1-99, or your own control), so probes keep their schedule while a CPU stress holds every
   * core (measured in bench/probe-jitter.ts). Opt-in: needs root or CAP_SYS_NICE; off by default.
   */
  realtime?: boolean | number | PriorityControl;
}

/** The faultline runtime: registry, journal, local infrastructure, runs and recovery. */
export interface Runtime {
  readonly registry: Registry;
  readonly journal: RollbackJournal;
  readonly stateDir: string;
  /** What recovery did when the runtime was created (undefined with `recover: false`). */
  readonly recovery: RecoveryReport | undefined;
  /** Recovery's own events (reverts of old entries, logs). */
  readonly recoveryEvents: EventStream;
  register(pack: Pack): Runtime;
  /** Validates a spec fully (shape, kinds, tunables, durations, probes) and throws what's wrong. */
  validate(spec: unknown): Plan;
  /** This process as an infrastructure. */
  local(): Infrastructure;
  /** Runs an experiment. Throws synchronously on bad input, before anything is journaled. */
  run(spec: ExperimentSpec, opts?: ExecuteOptions & { infrastructure?: Infrastructure }): RunHandle;
  /** Reverts what dead processes or older boots left. */
  recover(opts?: RecoverOptions): Promise<RecoveryReport>;
  /** Journal entries whose revert failed: each carries the error and the manual commands. */
  listManualInterventions(): Promise<JournalEntry[]>;
  /** A finished (or running) run's events, read back from its NDJSON log. */
  readRunLog(runId: string, fromSeq?: number): Promise<FaultlineEvent[]>;
  /** Run ids with a log, newest first. */
  listRunLogs(): Promise<string[]>;
  /** Aborts every active run and resolves once all are reverted. */
  abortAll(reason: string): Promise<void>;
  /** The running sentinel's pid, if one watches now. */
  readonly sentinelPid: number | undefined;
  /** Waits for running runs' logs, lets the sentinel go, closes the journal. */
  close(): Promise<void>;
}

/**
 * Creates a runtime and runs `recover()` first, so nothing a dead process or an older boot left in
 * effect survives into the new runs.
 */
export async function createRuntime(opts: RuntimeOptions = {}): Promise<Runtime> {
  const stateDir = opts.stateDir ?? defaultStateDir();
  prepareStateDir(stateDir);
  const platform = opts.bootId ? withBootId(opts.bootId, opts.platform) : (opts.platform ?? nodePlatform);
  const registry = new Registry();
  for (const p of opts.packs ?? []) registry.register(p);
  const recoveryEvents = new EventStream(`recovery-${randomUUID()}`);
  const active = new Map<string, RunHandle>();
  // what the journal warns about (a damaged line, a full disk) is news for a person: stderr, the
  // recovery events and every active run's events
  const journalWarning = (message: string) => {
    console.warn(`faultline: ${message}`);
    for (const events of [recoveryEvents, ...[...active.values()].map((h) => h.events)])
      events.emit({ type: 'log', level: 'warn', message });
  };
  const journal =
    opts.journal ?? (await FileJournal.open(defaultJournalPath(stateDir), { onWarning: journalWarning }));
  const retry: RetryPolicy = { ...DEFAULT_RETRY, ...opts.retry };
  const eventLog =
    opts.eventLog === false ? undefined : new EventLog(join(stateDir, 'runs'), opts.eventLog ?? {});
  const activeRuns = new Set<string>();
  // the journal's entries name this process by pid and start time; neither changes while it lives
  const pidStart = platform.processStart(platform.pid) ?? 'unknown';
  const pendingLogs = new Set<Promise<unknown>>();
  const sentinelOpts =
    opts.sentinel === false
      ? undefined
      : opts.sentinel === true || opts.sentinel === undefined
        ? {}
        : opts.sentinel;
  const launcher = sentinelOpts
    ? (sentinelOpts.launcher ?? (await import('./sentinel/launcher.js')).spawnSentinel)
    : undefined;
  const abortAll = async (reason: string) => {
    const runs = [...active.values()];
    for (const r of runs) r.abort(reason);
    await Promise.all(runs.map((r) => r.result));
  };
  const guard = new Guard({
    journal,
    platform,
    stateDir,
    retry,
    launcher,
    idleMs: sentinelOpts?.idleMs ?? 1000,
    readyTimeoutMs: sentinelOpts?.readyTimeoutMs ?? 15_000,
    signals: opts.signals !== false,
    priority:
      opts.realtime === undefined || opts.realtime === false
        ? undefined
        : typeof opts.realtime === 'object'
          ? opts.realtime
          : (await import('./priority.js')).chrtPriority(opts.realtime === true ? 10 : opts.realtime),
    abortAll,
    warn: (m) => console.warn(`faultline: ${m}`),
  });

  const doRecover = (o?: RecoverOptions) =>
    recover(
      {
        journal,
        registry,
        platform,
        stateDir,
        retry,
        stream: recoveryEvents,
        activeRuns,
        trustedPacks: opts.trustPacks ?? [],
      },
      o,
    );

  const sinkErrors = (what: string) => (e: unknown) =>
    console.warn(`faultline: ${what} failed: ${errorToJSON(e).message}`);

  /**
   * Sends a run's events to its log and the store as they happen, wherever the run executes (here,
   * or on an agent whose events a remote handle relays). Returns what to call with the result: it
   * resolves once the log is closed and the store has the result.
   */
  const record = (runId: string, spec: ExperimentSpec, stream: EventStream) => {
    const writer = eventLog?.open(runId);
    // anything the stream already holds goes first (a remote handle may have relayed some already)
    const buffered: FaultlineEvent[] = stream.snapshot();
    stream.pipe((e) => buffered.push(e));
    void writer?.then((w) => {
      // events emitted before the file opened are written first, in order
      for (const e of buffered.splice(0)) w.write(e);
      stream.pipe((e) => w.write(e));
    }, sinkErrors('opening the run log'));
    if (opts.store) {
      const store = opts.store;
      void Promise.resolve(store.runStarted?.({ runId, spec })).catch(sinkErrors('store.runStarted'));
      const toStore = (e: FaultlineEvent) => {
        try {
          store.event(e);
        } catch (err) {
          sinkErrors('store.event')(err);
        }
      };
      for (const e of stream.snapshot()) toStore(e);
      stream.pipe(toStore);
    }
    return async (result: RunResult) => {
      const w = await writer?.catch(() => undefined);
      await w?.close();
      await Promise.resolve(opts.store?.runFinished?.(result)).catch(sinkErrors('store.runFinished'));
      await eventLog?.prune().catch(() => 0);
    };
  };

  /** Keeps `close()` waiting for a run's log and store, and hands the result out only once they have it. */
  const recorded = (handle: RunHandle, finished: Promise<unknown>): RunHandle => {
    pendingLogs.add(finished);
    // the run's result never rejects; what follows it (logs, the store) may, and must not reach the host
    void finished.catch(sinkErrors('finishing the run')).finally(() => pendingLogs.delete(finished));
    return {
      ...handle,
      result: finished.then(
        () => handle.result,
        () => handle.result,
      ),
    };
  };

  const execute = (plan: Plan, spec: ExperimentSpec, o: ExecuteOptions): RunHandle => {
    const runId = o.runId ?? randomUUID();
    // it names log files and kernel objects, and must be unique among the runs that are running
    if (!RUN_ID.test(runId))
      throw new FaultlineError('FL_SPEC', `run id '${runId}': 8-64 chars of A-Z a-z 0-9 _ . - (a UUID fits)`);
    if (activeRuns.has(runId))
      throw new FaultlineError('FL_SPEC', `a run with id ${runId} is already running`);
    const stream = new EventStream(runId);
    activeRuns.add(runId);
    const finish = record(runId, spec, stream);
    const watched = guard.runStarting(new Set(plan.steps.flatMap((s) => s.faults.map((f) => f.pack))));
    const handle = startRun(
      plan,
      { journal, platform, stateDir, retry, pidStart },
      { runId, signal: o.signal, stream, beforeInject: watched },
    );
    active.set(runId, handle);
    const done = handle.result.then(async (result) => {
      activeRuns.delete(runId);
      active.delete(runId);
      if (active.size === 0) guard.idle();
      await finish(result);
    });
    return recorded(handle, done);
  };

  const local: Infrastructure = {
    id: 'local',
    async describe(signal) {
      const capabilities: Record<string, Capability> = {};
      for (const kind of registry.faultKinds()) {
        const def = registry.fault(kind).def;
        try {
          capabilities[kind] = def.check
            ? await def.check({ signal: signal ?? new AbortController().signal, log: silentLogger })
            : { available: true };
        } catch (e) {
          capabilities[kind] = { available: false, reason: `check() failed: ${errorToJSON(e).message}` };
        }
      }
      return { id: 'local', ...hostFacts(), capabilities };
    },
    execute: (spec, o) => execute(planExperiment(spec, registry), spec, o),
  };

  const runtime: Runtime = {
    registry,
    journal,
    stateDir,
    recovery: undefined,
    recoveryEvents,
    register(pack) {
      registry.register(pack);
      return runtime;
    },
    validate: (spec) => planExperiment(spec, registry),
    local: () => local,
    run(spec, o = {}) {
      const infra = o.infrastructure ?? local;
      if (infra === local) return local.execute(spec, o);
      // another infrastructure (an agent) runs it; its events still go to this runtime's log and store
      const handle = infra.execute(spec, o);
      const finish = record(handle.id, spec, handle.events);
      return recorded(
        handle,
        handle.result.then((r) => finish(r)),
      );
    },
    recover: doRecover,
    async listManualInterventions() {
      return (await journal.pending()).filter((e) => e.state === 'revert_failed');
    },
    async readRunLog(runId, fromSeq = 0) {
      if (!eventLog) throw new Error('the event log is turned off (eventLog: false)');
      return eventLog.read(runId, fromSeq);
    },
    async listRunLogs() {
      return eventLog ? eventLog.list() : [];
    },
    abortAll,
    get sentinelPid() {
      return guard.sentinelPid;
    },
    async close() {
      await Promise.allSettled([...pendingLogs]);
      guard.release();
      recoveryEvents.close();
      await journal.close();
    },
  };
  if (opts.recover !== false) {
    (runtime as { recovery: RecoveryReport | undefined }).recovery = await doRecover(
      opts.recover === true ? {} : opts.recover,
    );
  }
  return runtime;
}

/** What a caller-chosen run id may look like (`ExecuteOptions.runId`). */
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{7,63}$/;
