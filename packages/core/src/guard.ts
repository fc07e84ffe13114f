import { join } from 'node:path';
import { FileJournal } from './journal/file-journal.js';
import type { JournalLocator, RollbackJournal } from './journal.js';
import type { Platform } from './platform.js';
import type { RetryPolicy } from './revert.js';
import type { SentinelHandle, SentinelLauncher } from './sentinel/launcher.js';

/** Options of the sentinel (`createRuntime({ sentinel })`). */
export interface SentinelOptions {
  /** Replaces how the sentinel process is started. */
  launcher?: SentinelLauncher;
  /** How long an idle sentinel is kept for the next run before it is let go (default 1000 ms). */
  idleMs?: number;
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
  #handling: NodeJS.Signals | undefined;
  #installed = false;
  readonly #onSignal = (sig: NodeJS.Signals) => void this.#handle(sig);

  constructor(
    readonly deps: {
      journal: RollbackJournal;
      platform: Platform;
      stateDir: string;
      retry: RetryPolicy;
      launcher: SentinelLauncher | undefined;
      idleMs: number;
      signals: boolean;
      /** Aborts every active run and resolves when all have reverted. */
      abortAll(reason: string): Promise<void>;
      warn(message: string): void;
    },
  ) {}

  /** A run is starting: make sure a sentinel watches, and that it knows the run's packs. */
  runStarting(packs: Iterable<string>): void {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    if (this.deps.signals && !this.#installed) {
      for (const s of HANDLED_SIGNALS) process.on(s, this.#onSignal);
      this.#installed = true;
    }
    const locator = this.deps.launcher ? locatorOf(this.deps.journal) : undefined;
    if (this.deps.launcher && !locator) return;
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
      } catch (e) {
        this.deps.warn(
          `could not start the sentinel (a kill -9 of this process would leave chaos until the next recover()): ${(e as Error).message}`,
        );
      }
    }
    for (const p of packs) {
      if (this.#packs.has(p)) continue;
      this.#packs.add(p);
      this.#sentinel?.send({ type: 'pack', name: p });
    }
  }

  /** No run is active any more. */
  idle(): void {
    if (this.#installed && !this.#handling) {
      for (const s of HANDLED_SIGNALS) process.off(s, this.#onSignal);
      this.#installed = false;
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

  async #handle(sig: NodeJS.Signals): Promise<void> {
    if (this.#handling) {
      this.deps.warn(`${sig} received while reverting after ${this.#handling}: the revert finishes first`);
      return;
    }
    this.#handling = sig;
    this.deps.warn(`${sig} received: aborting the active runs and reverting their faults`);
    try {
      await this.deps.abortAll(`received ${sig}`);
    } finally {
      for (const s of HANDLED_SIGNALS) process.off(s, this.#onSignal);
      this.#installed = false;
      this.release();
      // re-raise with the default action (when nobody else listens) so the exit status says the signal
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    }
  }
}
