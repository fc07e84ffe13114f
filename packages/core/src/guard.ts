import { join } from 'node:path';
import { FileJournal } from './journal/file-journal.js';
import type { JournalLocator, RollbackJournal } from './journal.js';
import type { Platform } from './platform.js';
import type { PriorityControl } from './priority.js';
import type { RetryPolicy } from './revert.js';
import type { SentinelHandle, SentinelLauncher } from './sentinel/launcher.js';

/** Options of the sentinel (`createRuntime({ sentinel })`). */
export interface SentinelOptions {
  /** Replaces how the sentinel process is started. */
  launcher?: SentinelLauncher;
  /** How long an idle sentinel is kept for the next run before it is let go (default 1000 ms). */
  idleMs?: number;
  /**
   * How long a run waits, before its first inject, for the sentinel to have loaded the run's packs
   * (default 15 000 ms). Past it the run goes on with a warning: the sentinel still reverts after a
   * crash, only later, once it has loaded them.
   */
  readyTimeoutMs?: number;
}

/** Signals the runtime handles while a run is active. */
export const HANDLED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** How a fresh process opens this journal, if it can. */
export function locatorOf(journal: RollbackJournal): JournalLocator | undefined {
  if (journal instanceof FileJournal)
    return { module: '@faultline/core', factory: 'openFileJournal', args: [journal.path] };
  return journal.locator?.();
}

/**
 * What keeps a runtime's chaos from outliving it: one sentinel process while runs are active (it
 * reverts from the journal if this process dies), and SIGINT/SIGTERM/SIGHUP handlers that abort,
 * revert, then re-raise the signal so the host's exit status stays honest.
 */
export class Guard {
  #sentinel: SentinelHandle | undefined;
  #idleTimer: NodeJS.Timeout | undefined;
  #packs = new Set<string>();
  /** Packs the running sentinel has said it loaded. */
  readonly #loaded = new Set<string>();
  #handling: NodeJS.Signals | undefined;
  #installed = false;
  /** Runs are active (between runStarting and idle). */
  #busy = false;
  /** Removes the signal handlers a moment after the last run: runs back to back keep them installed. */
  #signalsTimer: NodeJS.Timeout | undefined;
  /** Packs the sentinel could not import: warned about once. */
  readonly #unloadable = new Set<string>();
  #raised = false;
  readonly #onSignal = (sig: NodeJS.Signals) => void this.#handle(sig);

  constructor(
    readonly deps: {
      journal: RollbackJournal;
      platform: Platform;
      stateDir: string;
      retry: RetryPolicy;
      launcher: SentinelLauncher | undefined;
      idleMs: number;
      readyTimeoutMs: number;
      signals: boolean;
      /** Real-time scheduling of the main thread while runs are active (opt-in). */
      priority: PriorityControl | undefined;
      /** Aborts every active run and resolves when all have reverted. */
      abortAll(reason: string): Promise<void>;
      warn(message: string): void;
    },
  ) {}

  /**
   * A run is starting: make sure a sentinel watches, and that it knows the run's packs. Resolves once
   * the sentinel has them in memory (or at once without a sentinel; after `readyTimeoutMs` with a
   * warning): the run waits for it before its first inject, so that a kill -9 during the inject finds
   * a sentinel ready to revert rather than one still starting up.
   */
  runStarting(packs: Iterable<string>): Promise<void> | undefined {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    this.#busy = true;
    clearTimeout(this.#signalsTimer);
    if (this.deps.priority && !this.#raised) {
      this.#raised = true;
      void this.deps.priority.raise().then((r) => {
        if (!r.applied)
          this.deps.warn(
            `could not make the runtime real-time (${r.reason}); probes may run late under CPU stress`,
          );
      });
    }
    if (this.deps.signals && !this.#installed) {
      for (const s of HANDLED_SIGNALS) process.on(s, this.#onSignal);
      this.#installed = true;
    }
    const locator = this.deps.launcher ? locatorOf(this.deps.journal) : undefined;
    if (this.deps.launcher && !locator) return undefined;
    if (this.deps.launcher && locator && !this.#sentinel) {
      try {
        this.#sentinel = this.deps.launcher({
          hostPid: this.deps.platform.pid,
          hostStart: this.deps.platform.processStart(this.deps.platform.pid) ?? 'unknown',
          journal: locator,
          stateDir: this.deps.stateDir,
          retry: this.deps.retry,
          logFile: join(this.deps.stateDir, 'sentinel.log'),
        });
        this.#packs.clear();
        this.#loaded.clear();
      } catch (e) {
        this.deps.warn(
          `could not start the sentinel (a kill -9 of this process would leave chaos until the next recover()): ${(e as Error).message}`,
        );
      }
    }
    const sentinel = this.#sentinel;
    const waits: Promise<void>[] = [];
    for (const p of packs) {
      if (!this.#packs.has(p)) {
        this.#packs.add(p);
        sentinel?.send({ type: 'pack', name: p });
      }
      if (this.#loaded.has(p)) continue; // this sentinel has it: the next runs need not ask
      const loaded = sentinel?.loaded?.(p);
      if (loaded)
        waits.push(
          loaded.then((ok) => {
            if (ok) this.#loaded.add(p);
            if (!ok && !this.#unloadable.has(p)) {
              this.#unloadable.add(p);
              this.deps.warn(
                `the sentinel could not load ${p}: after a kill -9 of this process its faults wait for the next recover()`,
              );
            }
          }),
        );
    }
    if (waits.length === 0) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.deps.warn(
          `the sentinel has not loaded this run's packs after ${this.deps.readyTimeoutMs} ms; the run goes on (a kill -9 now is reverted once it has)`,
        );
        resolve();
      }, this.deps.readyTimeoutMs);
      // not unref'd: the sentinel's pipes are, so this timer is what keeps a host whose run is
      // waiting for its sentinel alive (a script with nothing else to do would otherwise just end)
    });
    return Promise.race([Promise.all(waits).then(() => undefined), late]).finally(() => clearTimeout(timer));
  }

  /** No run is active any more. */
  idle(): void {
    if (this.#raised) {
      this.#raised = false;
      void this.deps.priority?.lower();
    }
    this.#busy = false;
    if (this.#installed && !this.#handling) {
      clearTimeout(this.#signalsTimer);
      this.#signalsTimer = setTimeout(() => this.#uninstall(), SIGNALS_LINGER_MS);
      this.#signalsTimer.unref();
    }
    if (!this.#sentinel) return;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => this.release(), this.deps.idleMs);
    this.#idleTimer.unref();
  }

  /** The sentinel's pid (tests). */
  get sentinelPid(): number | undefined {
    return this.#sentinel?.pid;
  }

  /** Tells the sentinel nothing is pending, and lets it go. */
  release(): void {
    clearTimeout(this.#idleTimer);
    this.#sentinel?.release();
    this.#sentinel = undefined;
  }

  #uninstall(): void {
    clearTimeout(this.#signalsTimer);
    for (const s of HANDLED_SIGNALS) process.off(s, this.#onSignal);
    this.#installed = false;
  }

  async #handle(sig: NodeJS.Signals): Promise<void> {
    if (!this.#busy && !this.#handling) {
      // the handlers linger after the last run: with nothing to revert, the signal does what it would have
      this.#uninstall();
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
      return;
    }
    if (this.#handling) {
      this.deps.warn(`${sig} received while reverting after ${this.#handling}: the revert finishes first`);
      return;
    }
    this.#handling = sig;
    this.deps.warn(`${sig} received: aborting the active runs and reverting their faults`);
    try {
      await this.deps.abortAll(`received ${sig}`);
    } finally {
      this.#uninstall();
      this.release();
      // re-raise with the default action (when nobody else listens) so the exit status says the signal
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    }
  }
}

/** How long the signal handlers stay after the last run ended (a signal meanwhile acts as if they were gone). */
const SIGNALS_LINGER_MS = 1000;
