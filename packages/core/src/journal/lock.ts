import { randomBytes } from 'node:crypto';
import {
  linkSync,
  lstatSync,
  readFileSync,
  readlinkSync,
  renameSync,
  symlinkSync,
  unlinkSync,
} from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { FaultlineError } from '../errors.js';
import { nodePlatform, type Platform } from '../platform.js';

/** How a {@link FileLock} tells a live holder from a dead one. */
export interface LockOptions {
  /** Give up after this long with FL_JOURNAL (default 10 s). */
  timeoutMs?: number;
  /** Liveness of the holder (default the Node platform). */
  platform?: Platform;
}

/** Who holds a lock, as written in the lock file. */
interface Holder {
  pid: number;
  start: string;
  boot: string;
}

// a lock that cannot be read after this long was left by an older faultline that crashed while it
// wrote its lock file (locks are symlinks now, made whole in one step)
const UNREADABLE_STALE_MS = 2_000;

/**
 * A cross-process lock: a symlink next to the journal whose target is `pid start-time boot-id`.
 * symlink(2) creates it exclusively and whole in one step, and a short target lives in the inode,
 * so taking the lock needs no data block: it works on a full disk, and a crash can never leave an
 * empty lock behind (a regular lock file needed a write after its creation, which a full disk
 * refused, leaving an empty file every later start waited 2 s on). A holder that no longer exists
 * (dead pid, recycled pid, older boot) is stale and its lock is taken over. Held only around short
 * critical sections (a compaction, a writer's re-check after a compaction raced with its append),
 * so waiting polls with short sleeps. Processes sharing one journal must share a pid namespace.
 */
export class FileLock {
  readonly #path: string;
  readonly #timeoutMs: number;
  readonly #platform: Platform;
  readonly #content: string;

  constructor(path: string, opts: LockOptions = {}) {
    this.#path = path;
    this.#timeoutMs = opts.timeoutMs ?? 10_000;
    this.#platform = opts.platform ?? nodePlatform;
    const pid = this.#platform.pid;
    this.#content = `${pid} ${this.#platform.processStart(pid) ?? 'unknown'} ${this.#platform.bootId()}`;
  }

  /** Waits for the lock; resolves once held. FL_JOURNAL after the timeout, naming the holder. */
  async acquire(): Promise<void> {
    const deadline = Date.now() + this.#timeoutMs;
    let delay = 1;
    for (;;) {
      const holder = this.tryAcquire();
      if (holder === true) return;
      if (Date.now() >= deadline) {
        const who = holder ? `pid ${holder.pid}` : 'a process that has not written its pid yet';
        throw new FaultlineError(
          'FL_JOURNAL',
          `the journal lock ${this.#path} has been held by ${who} for more than ${this.#timeoutMs / 1000} s; ` +
            `if that process is stuck, stop it; if it no longer exists, delete ${this.#path}`,
          { details: { lock: this.#path, ...(holder ? { pid: holder.pid } : {}) } },
        );
      }
      // jitter so two waiters do not retry in lockstep
      await sleep(delay * (0.5 + Math.random()));
      delay = Math.min(delay * 2, 20);
    }
  }

  /** One attempt: true when now held, else the live holder (undefined when unreadable). */
  tryAcquire(): true | Holder | undefined {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        symlinkSync(this.#content, this.#path);
        return true;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const seen = this.#read();
      if (seen === 'gone') continue;
      if (!this.#isStale(seen)) return seen.holder;
      this.#takeOver(seen.text);
    }
    // the file kept changing hands under us: report it as held, the caller retries
    return undefined;
  }

  /** Releases a held lock. */
  release(): void {
    try {
      unlinkSync(this.#path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }

  #read(): 'gone' | { text: string; holder: Holder | undefined; mtimeMs: number } {
    try {
      const st = lstatSync(this.#path);
      if (st.isDirectory()) {
        throw new FaultlineError(
          'FL_JOURNAL',
          `${this.#path} is a directory, where the journal's lock should be: faultline makes the lock itself, ` +
            `for a moment, beside the journal. Move the directory away (mv ${this.#path} ${this.#path}.old).`,
          { details: { lock: this.#path } },
        );
      }
      const text = lockText(this.#path, st.isSymbolicLink());
      return { text, holder: parseHolder(text), mtimeMs: st.mtimeMs };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
      throw e;
    }
  }

  #isStale(seen: { holder: Holder | undefined; mtimeMs: number }): boolean {
    const h = seen.holder;
    if (!h) return Date.now() - seen.mtimeMs > UNREADABLE_STALE_MS;
    if (h.boot !== 'unknown' && h.boot !== this.#platform.bootId()) return true;
    const start = this.#platform.processStart(h.pid);
    if (start === undefined) return true;
    return start !== 'unknown' && h.start !== 'unknown' && start !== h.start;
  }

  /**
   * Removes a stale lock without removing a fresh one: two waiters may judge the same stale file,
   * and the slower one must not delete the lock the faster one has just created. So the file is
   * renamed aside (atomic) and checked; if it turns out to be a live lock, it is put back.
   */
  #takeOver(judged: string): void {
    const aside = `${this.#path}.stale-${randomBytes(6).toString('hex')}`;
    try {
      renameSync(this.#path, aside);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    const text = lockText(aside, lstatSync(aside).isSymbolicLink());
    if (text === judged) {
      unlinkSync(aside);
      return;
    }
    // we moved someone's fresh lock: put it back (link fails if yet another process holds the lock now)
    try {
      linkSync(aside, this.#path);
    } catch {
      // that process owns the lock; the one we moved loses it only in this three-way race
    }
    unlinkSync(aside);
  }
}

/** What a lock says: a symlink's target, or the content of a lock file an older faultline wrote. */
function lockText(path: string, symlink: boolean): string {
  return symlink ? readlinkSync(path) : readFileSync(path, 'utf8');
}

function parseHolder(text: string): Holder | undefined {
  const m = /^(\d+) (\S+) (\S+)\n?$/.exec(text);
  if (!m) return undefined;
  return { pid: Number(m[1]), start: m[2] as string, boot: m[3] as string };
}
