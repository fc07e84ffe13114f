import { setMaxListeners } from 'node:events';
import pLimit from 'p-limit';
import { type ErrorCode, errorToJSON, FaultlineError } from './errors.js';
import { EventStream } from './event-stream.js';
import type { ProbePhase } from './events.js';
import type { JournalEntry, RollbackJournal } from './journal.js';
import { makeLogger } from './logger.js';
import type { Logger, ProbeOutcome } from './model.js';
import { entryId, objectName } from './names.js';
import type { Plan, PlannedFault, PlannedProbe } from './plan.js';
import type { Platform } from './platform.js';
import { type ProbeReporter, pollProbe, runProbe } from './probe-exec.js';
import { isJson } from './registry.js';
import type { FaultResult, ProbeResult, RevertResult, RunResult } from './result.js';
import { type RetryPolicy, revertEntry } from './revert.js';
import { probeSuccess, resilienceScore, verdictOf } from './score.js';
import { sleep, whenAborted } from './timing.js';

/** What a run needs from its runtime. */
export interface RunnerDeps {
  journal: RollbackJournal;
  platform: Platform;
  stateDir: string;
  retry: RetryPolicy;
  /** This process's start time (/proc/self/stat field 22), read once per runtime; read here when absent. */
  pidStart?: string;
}

/** A running experiment: its events as they happen, its result, and a way to stop it. */
export interface RunHandle {
  readonly id: string;
  /** Listener, async iterator (from any seq) and NDJSON over the same events. */
  readonly events: EventStream;
  /** Resolves once every fault is reverted (never rejects: a runner failure is verdict Error). */
  readonly result: Promise<RunResult>;
  /** Stops probes and reverts every fault; the verdict becomes Aborted. Idempotent. */
  abort(reason?: string): void;
}

interface Tracked {
  entry: JournalEntry;
  fault: PlannedFault;
  /** Set once the revert started, so the end-of-run sweep never reverts twice. */
  revert?: Promise<RevertResult>;
}

interface FaultState {
  result: FaultResult;
  probes: Map<string, ProbeResult>;
}

/** Starts a run of a validated plan. Execution begins on the next microtask, so listeners attached now see every event. */
export function startRun(
  plan: Plan,
  deps: RunnerDeps,
  opts: {
    runId: string;
    signal?: AbortSignal | undefined;
    stream?: EventStream;
    /** Settles when the first inject may start (the runtime's sentinel has loaded the packs). */
    beforeInject?: Promise<unknown> | undefined;
  },
): RunHandle {
  const run = new Run(plan, deps, opts.runId, opts.stream ?? new EventStream(opts.runId), opts.beforeInject);
  if (opts.signal) {
    const s = opts.signal;
    if (s.aborted) run.abort(reasonOf(s.reason), true, codeOf(s.reason));
    else
      s.addEventListener('abort', () => run.abort(reasonOf(s.reason), false, codeOf(s.reason)), {
        once: true,
      });
  }
  const result = Promise.resolve().then(() => run.execute());
  return {
    id: opts.runId,
    events: run.stream,
    result,
    abort: (reason) => run.abort(reason ?? 'aborted by run.abort()'),
  };
}

function reasonOf(r: unknown): string {
  return r instanceof Error ? r.message : r === undefined ? 'AbortSignal fired' : String(r);
}

/**
 * An abort whose reason is a FaultlineError keeps its code (an agent aborts with FL_LINK_LOST when
 * its lease expires): it goes into `run.aborting` and the result's `error`, so a program can tell
 * a lost link from a person's abort.
 */
function codeOf(r: unknown): ErrorCode | undefined {
  return r instanceof FaultlineError ? r.code : undefined;
}

class Run {
  readonly #ac = unlimitedController();
  readonly #tracked = new Map<string, Tracked>();
  readonly #faults = new Map<string, FaultState>();
  readonly #reverts: RevertResult[] = [];
  readonly #loggers = new Map<string, Logger>();
  #stop: { kind: StopKind; reason: string; code?: ErrorCode } | undefined;
  /** Set once the final sweep starts: from then on nothing may be injected, whatever is still running. */
  #sweeping = false;
  #abortedBeforeStart = false;
  #pidStart: string;

  constructor(
    readonly plan: Plan,
    readonly deps: RunnerDeps,
    readonly runId: string,
    readonly stream: EventStream,
    readonly beforeInject?: Promise<unknown>,
  ) {
    this.#pidStart = deps.pidStart ?? deps.platform.processStart(deps.platform.pid) ?? 'unknown';
    for (const step of plan.steps) {
      for (const f of step.faults) {
        this.#faults.set(f.step.id, {
          result: {
            stepId: f.step.id,
            kind: f.step.kind,
            weight: f.step.weight,
            status: 'skipped',
            probeSuccess: 0,
            injections: 0,
          },
          probes: new Map(
            f.probes.map((p) => [
              p.spec.name,
              {
                stepId: f.step.id,
                probe: p.spec.name,
                kind: p.spec.kind,
                mode: p.spec.mode,
                passed: false,
                runs: 0,
                failures: 0,
              },
            ]),
          ),
        });
      }
    }
  }

  get #signal(): AbortSignal {
    return this.#ac.signal;
  }

  abort(reason: string, beforeStart = false, code?: ErrorCode): void {
    if (beforeStart) this.#abortedBeforeStart = true;
    this.#halt('abort', reason, code);
  }

  #halt(kind: StopKind, reason: string, code?: ErrorCode): void {
    if (this.#stop) return;
    this.#stop = code ? { kind, reason, code } : { kind, reason };
    this.stream.emit({ type: 'run.aborting', reason, ...(code ? { code } : {}) });
    this.#ac.abort(new FaultlineError(code ?? STOP_CODES[kind], reason));
  }

  /** One logger per fault (and one for the run), made on first use. */
  #log(stepId = ''): Logger {
    let logger = this.#loggers.get(stepId);
    if (!logger) {
      logger = makeLogger((level, message, data) =>
        this.stream.emit({
          type: 'log',
          level,
          message,
          ...(stepId ? { stepId } : {}),
          ...(data ? { data } : {}),
        }),
      );
      this.#loggers.set(stepId, logger);
    }
    return logger;
  }

  /**
   * The whole run. Never rejects: whatever fails (the journal, a fault, a probe, a listener), every
   * injected fault is reverted, `run.finished` is emitted and the stream closed.
   */
  async execute(): Promise<RunResult> {
    const startedAt = new Date();
    const faultCount = this.plan.steps.reduce((n, s) => n + s.faults.length, 0);
    let runnerError: { code: string; message: string } | undefined;
    try {
      this.stream.emit({
        type: 'run.started',
        experiment: this.plan.spec.metadata.name,
        steps: this.plan.steps.length,
        faults: faultCount,
      });
      if (!this.#abortedBeforeStart) {
        await this.#preflight();
        if (this.beforeInject) {
          // an abort while the sentinel starts up must not wait for it: nothing is injected yet
          const aborted = whenAborted(this.#signal);
          await Promise.race([this.beforeInject, aborted.promise]).catch(() => {});
          aborted.dispose();
        }
        for (const [i, step] of this.plan.steps.entries()) {
          if (this.#signal.aborted) break;
          this.stream.emit({
            type: 'step.started',
            step: i,
            ...(step.name ? { name: step.name } : {}),
            faults: step.faults.map((f) => f.step.id),
          });
          await this.#runStep(step.faults);
        }
      }
    } catch (e) {
      runnerError = errorToJSON(e);
      this.#log().error(`the run failed: ${runnerError.message}`);
    }
    this.#sweeping = true;
    try {
      await this.#revertAll();
    } catch (e) {
      // revertEntry never throws; this is a bug, and the run must still end
      runnerError ??= errorToJSON(e);
      this.#log().error(`the final revert sweep failed: ${errorToJSON(e).message}`);
    }
    return this.#finish(startedAt, runnerError);
  }

  /** Every fault's check(), before anything is journaled: a host that can't do it changes nothing. */
  async #preflight(): Promise<void> {
    const missing: string[] = [];
    for (const step of this.plan.steps) {
      for (const f of step.faults) {
        if (!f.def.check) continue;
        const cap = await f.def.check({
          tunables: f.tunables,
          signal: this.#signal,
          log: this.#log(f.step.id),
        });
        if (!cap.available)
          missing.push(
            `${f.step.id} (${f.step.kind}): ${cap.reason ?? 'not available'}${cap.fix ? ` — ${cap.fix}` : ''}`,
          );
      }
    }
    if (missing.length)
      throw new FaultlineError('FL_CAPABILITY', `this host cannot run: ${missing.join('; ')}`);
  }

  async #runStep(faults: PlannedFault[]): Promise<void> {
    const continuous = new Map<string, { stop: AbortController; done: Promise<unknown> }>();
    for (const f of faults) {
      const polled = f.probes.filter((p) => p.spec.mode === 'Continuous');
      if (polled.length === 0) continue;
      const stop = new AbortController();
      const done = Promise.all(polled.map((p) => this.#poll(f, p, 'during', stop.signal)));
      continuous.set(f.step.id, { stop, done });
    }
    // Pre-chaos probes of the whole group first, so the group injects together (and its journal
    // entries share one fsync).
    await Promise.all(faults.map((f) => this.#probes(f, 'pre')));
    const concurrency = this.plan.spec.spec.concurrency;
    const limit = faults.length > concurrency ? pLimit(concurrency) : (fn: () => Promise<void>) => fn();
    let failure: { error: unknown } | undefined;
    await Promise.all(
      faults.map((f) =>
        limit(async () => {
          try {
            await this.#lifecycle(f);
          } catch (e) {
            // A fault that fails in the runner (its journal entry could not be written) ends the
            // run: its siblings are stopped now, not left to inject after the result is out.
            failure ??= { error: e };
            const s = this.#faults.get(f.step.id)!.result;
            s.status = 'errored';
            s.error = errorToJSON(e);
            this.#halt('error', `fault '${f.step.id}' failed in the runner: ${s.error.message}`);
          } finally {
            const c = continuous.get(f.step.id);
            c?.stop.abort(WINDOW_OVER);
            await c?.done;
          }
        }),
      ),
    );
    // every sibling has settled (reverted its own faults or stopped): only now may the run end
    if (failure) throw failure.error;
  }

  async #lifecycle(f: PlannedFault): Promise<void> {
    const state = this.#faults.get(f.step.id)!;
    if (this.#signal.aborted) return;
    await sleep(f.rampMs, this.#signal);
    if (this.#signal.aborted) return;
    const injectedAt = performance.now();
    let ok = await this.#inject(f, 0);
    if (ok) {
      const polled = f.probes.filter((p) => p.spec.mode === 'OnChaos');
      const onChaos = polled.length > 0 ? new AbortController() : undefined;
      const pollers = polled.map((p) => this.#poll(f, p, 'during', onChaos!.signal));
      const end = injectedAt + f.durationMs;
      if (f.intervalMs !== undefined) {
        for (let k = 1; ok && performance.now() + f.intervalMs < end; k++) {
          if (!(await sleep(injectedAt + k * f.intervalMs - performance.now(), this.#signal))) break;
          ok = await this.#inject(f, k);
        }
      }
      await sleep(end - performance.now(), this.#signal);
      onChaos?.abort(WINDOW_OVER);
      await Promise.all(pollers);
    }
    await this.#revertFault(f);
    state.result.revertedAt = new Date().toISOString();
    if (this.#signal.aborted) {
      if (state.result.status === 'completed') state.result.status = 'aborted';
      return;
    }
    await sleep(f.rampMs, this.#signal);
    await this.#probes(f, 'post');
  }

  /** Journals (durably), then injects one iteration. Returns whether the fault is in effect. */
  async #inject(f: PlannedFault, iteration: number): Promise<boolean> {
    // the last guard of "nothing is injected after the run ends"
    if (this.#signal.aborted || this.#sweeping) return false;
    const state = this.#faults.get(f.step.id)!;
    const id = entryId(this.runId, f.step.id, iteration);
    const now = new Date().toISOString();
    const entry: JournalEntry = {
      id,
      runId: this.runId,
      stepId: f.step.id,
      iteration,
      kind: f.step.kind,
      pack: f.pack,
      tunables: f.tunables as JournalEntry['tunables'],
      objectName: objectName(this.runId, f.step.id, iteration),
      state: 'injecting',
      bootId: this.deps.platform.bootId(),
      pid: this.deps.platform.pid,
      pidStart: this.#pidStart,
      createdAt: now,
      updatedAt: now,
    };
    await this.deps.journal.begin(entry);
    this.#tracked.set(id, { entry, fault: f });
    this.stream.emit({
      type: 'fault.injecting',
      stepId: f.step.id,
      kind: f.step.kind,
      entryId: id,
      iteration,
    });
    const t0 = performance.now();
    const log = this.#log(f.step.id);
    try {
      const receipt = await f.def.inject({
        runId: this.runId,
        stepId: f.step.id,
        iteration,
        objectName: entry.objectName,
        tunables: f.tunables,
        signal: this.#signal,
        log,
        stateDir: this.deps.stateDir,
      });
      if (!isJson(receipt))
        throw new FaultlineError(
          'FL_INJECT',
          `${f.step.kind} returned a receipt that is not plain JSON; a fresh process could not revert it`,
        );
      await this.deps.journal.update(id, { state: 'active', receipt });
      entry.receipt = receipt;
      entry.state = 'active';
      state.result.injections++;
      if (iteration === 0) {
        state.result.status = 'completed';
        state.result.injectedAt = new Date().toISOString();
      }
      this.stream.emit({
        type: 'fault.injected',
        stepId: f.step.id,
        kind: f.step.kind,
        entryId: id,
        iteration,
        receipt,
        ms: Math.round(performance.now() - t0),
      });
      return true;
    } catch (e) {
      if (this.#signal.aborted && this.#stop?.kind !== 'probe') {
        state.result.status = 'aborted';
        log.info(`inject of ${f.step.kind} interrupted (${this.#stop?.reason}); what it applied is reverted`);
      } else {
        state.result.status = 'errored';
        state.result.error = errorToJSON(e);
        log.error(
          `inject of ${f.step.kind} failed: ${state.result.error.message}; what it applied is reverted`,
        );
      }
      return false;
    }
  }

  /** Reverts every injection of one fault, newest first. */
  async #revertFault(f: PlannedFault): Promise<void> {
    const mine = [...this.#tracked.values()].filter((t) => t.fault === f).reverse();
    for (const t of mine) await this.#revert(t);
  }

  #revert(t: Tracked): Promise<RevertResult> {
    if (t.revert) return t.revert;
    const { entry } = t;
    const base = { stepId: entry.stepId, kind: entry.kind, entryId: entry.id };
    t.revert = revertEntry(
      entry,
      t.fault.def,
      {
        journal: this.deps.journal,
        stateDir: this.deps.stateDir,
        log: this.#log(entry.stepId),
        retry: this.deps.retry,
      },
      {
        reverting: (attempt) => this.stream.emit({ type: 'fault.reverting', ...base, attempt }),
        reverted: (ms) => this.stream.emit({ type: 'fault.reverted', ...base, ms }),
        failed: (error, manual) => this.stream.emit({ type: 'fault.revert_failed', ...base, error, manual }),
      },
    ).then((r) => {
      this.#reverts.push(r);
      if (!r.ok) {
        const s = this.#faults.get(entry.stepId)!.result;
        s.status = 'errored';
        s.error = r.error!;
      }
      return r;
    });
    return t.revert;
  }

  /** The safety net: whatever is still in effect (abort, runner error) is reverted, steps in reverse order, a parallel group together. */
  async #revertAll(): Promise<void> {
    const byStep = new Map<number, Tracked[]>();
    for (const t of this.#tracked.values()) {
      const list = byStep.get(t.fault.stepIndex) ?? [];
      list.push(t);
      byStep.set(t.fault.stepIndex, list);
    }
    for (const step of [...byStep.keys()].sort((a, b) => b - a)) {
      const list = byStep.get(step)!;
      const faults = new Set(list.map((t) => t.fault));
      await Promise.all(
        [...faults].map(async (f) => {
          for (const t of list.filter((x) => x.fault === f).reverse()) await this.#revert(t);
        }),
      );
    }
  }

  #reporter(f: PlannedFault): ProbeReporter {
    return {
      attempt: (p, phase, attempt, o, ms) =>
        this.stream.emit({
          type: 'probe.result',
          stepId: f.step.id,
          probe: p.spec.name,
          kind: p.spec.kind,
          mode: p.spec.mode,
          phase,
          passed: o.passed,
          attempt,
          ...(o.value !== undefined ? { value: o.value } : {}),
          ...(o.message !== undefined ? { message: o.message } : {}),
          ms,
        }),
      run: (p, o) => this.#record(f, p, o),
    };
  }

  #record(f: PlannedFault, p: PlannedProbe, o: ProbeOutcome): void {
    const r = this.#faults.get(f.step.id)!.probes.get(p.spec.name)!;
    r.runs++;
    if (!o.passed) r.failures++;
    r.passed = r.failures === 0;
    if (o.value !== undefined) r.lastValue = o.value;
    if (o.message !== undefined && (!o.passed || r.failures === 0)) r.message = o.message;
    if (!o.passed && p.spec.runProperties.stopOnFailure && !this.#signal.aborted) {
      this.#halt(
        'probe',
        `probe '${p.spec.name}' of fault '${f.step.id}' failed (stopOnFailure): ${o.message ?? 'no message'}`,
      );
    }
  }

  /** SOT and Edge before the chaos, EOT and Edge after; each waits its initialDelay. */
  async #probes(f: PlannedFault, phase: 'pre' | 'post'): Promise<void> {
    const modes = phase === 'pre' ? ['SOT', 'Edge'] : ['EOT', 'Edge'];
    const ids = { runId: this.runId, stepId: f.step.id };
    await Promise.all(
      f.probes
        .filter((p) => modes.includes(p.spec.mode))
        .map(async (p) => {
          if (!(await sleep(p.initialDelayMs, this.#signal))) return;
          await runProbe(p, phase, ids, this.#log(f.step.id), this.#reporter(f), this.#signal);
        }),
    );
  }

  #poll(f: PlannedFault, p: PlannedProbe, phase: ProbePhase, until: AbortSignal): Promise<void> {
    return pollProbe(
      p,
      phase,
      { runId: this.runId, stepId: f.step.id },
      this.#log(f.step.id),
      this.#reporter(f),
      until,
      this.#signal,
    );
  }

  /** The result, then `run.finished` and the end of the stream, whatever throws on the way. */
  #finish(startedAt: Date, runnerError: { code: string; message: string } | undefined): RunResult {
    let result: RunResult;
    try {
      result = this.#result(startedAt, runnerError);
    } catch (e) {
      result = this.#bareResult(startedAt, errorToJSON(e));
    }
    try {
      this.stream.emit({ type: 'run.finished', verdict: result.verdict, score: result.score, result });
    } catch {
      // a listener threw: that is the host's bug, and the result stands
    } finally {
      this.stream.close();
    }
    return result;
  }

  /** What is known when computing the result itself failed (a bug): verdict Error, nothing scored. */
  #bareResult(startedAt: Date, error: { code: string; message: string }): RunResult {
    const finishedAt = new Date();
    return {
      runId: this.runId,
      experiment: this.plan.spec.metadata.name,
      verdict: 'Error',
      score: null,
      scoreReason: 'the result could not be computed',
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationMs: finishedAt.getTime() - startedAt.getTime(),
      faults: [...this.#faults.values()].map((s) => s.result),
      probes: [],
      reverts: this.#reverts,
      error,
    };
  }

  #result(startedAt: Date, runnerError: { code: string; message: string } | undefined): RunResult {
    const faults = [...this.#faults.values()].map((s) => {
      const probes = [...s.probes.values()];
      s.result.probeSuccess = s.result.status === 'completed' ? probeSuccess(probes) : 0;
      return s.result;
    });
    const probes = [...this.#faults.values()].flatMap((s) => [...s.probes.values()]);
    const { score, reason } = resilienceScore(faults);
    const aborted = this.#stop?.kind === 'abort';
    const verdict = verdictOf({
      faults,
      probes,
      reverts: this.#reverts,
      aborted,
      runnerError: runnerError !== undefined,
    });
    const finishedAt = new Date();
    const result: RunResult = {
      runId: this.runId,
      experiment: this.plan.spec.metadata.name,
      verdict,
      score,
      ...(reason ? { scoreReason: reason } : {}),
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationMs: finishedAt.getTime() - startedAt.getTime(),
      faults,
      probes,
      reverts: this.#reverts,
      ...(runnerError
        ? { error: runnerError }
        : this.#stop?.kind === 'probe'
          ? { error: { code: 'FL_PROBE', message: this.#stop.reason } }
          : this.#stop?.code
            ? { error: { code: this.#stop.code, message: this.#stop.reason } }
            : {}),
      ...(this.#stop ? { abortReason: this.#stop.reason } : {}),
    };
    return result;
  }
}

/** The run's controller: every sleep, probe and inject of the run listens to it, so no listener cap. */
function unlimitedController(): AbortController {
  const ac = new AbortController();
  setMaxListeners(0, ac.signal);
  return ac;
}

/** Why a run stops early: an abort (run.abort, a signal), a probe with stopOnFailure, a fault that failed in the runner. */
type StopKind = 'abort' | 'probe' | 'error';
const STOP_CODES = { abort: 'FL_ABORTED', probe: 'FL_PROBE', error: 'FL_ABORTED' } as const;

/** The reason pollers stop: a plain value, since abort() without one builds a DOMException each time. */
const WINDOW_OVER = 'window over';
