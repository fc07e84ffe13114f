import { closeSync, fsyncSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { FaultlineError } from '../errors.js';
import type { DamagedLine, JournalDamage, JournalEntry, JournalPatch, RollbackJournal } from '../journal.js';
import type { Platform } from '../platform.js';
import { type AppendedRecord, appendLines, missingFrom, type QueuedOp } from './append-group.js';
import { AppendSync } from './append-sync.js';
import { compactJournal, keptAsideFiles, noteKeptAside } from './compact.js';
import { ensureFile, fsyncFd } from './durable-fs.js';
import { JournalFold } from './fold.js';
import { appendOrUseReserve } from './full-disk.js';
import { journalError } from './journal-error.js';
import { FileLock } from './lock.js';
import { checkEntry, closedError, patchDurability } from './records.js';
import { JOURNAL_RESERVE_BYTES, JournalReserve } from './reserve.js';
import { APPEND_NOFOLLOW, READ_NOFOLLOW } from './state-dir.js';

/** Options of a {@link FileJournal}. */
export interface FileJournalOptions {
  /** Told about torn or unparsable lines that were skipped, and failed background compactions (default: `process.emitWarning`). */
  onWarning?(message: string): void;
  /** Compact after this many lines appended by this instance (default 1000; 0: only on open and `compact()`). */
  compactEvery?: number;
  /** Compaction keeps `reverted` entries this long (default 60 s), so a late duplicate revert still finds its entry. */
  keepRevertedMs?: number;
  /** The lock file every writer of this journal must agree on (default `<path>.lock`). */
  lockPath?: string;
  /** Give up waiting for another writer's lock after this long, with FL_JOURNAL (default 10 s). */
  lockTimeoutMs?: number;
  /**
   * How long a write that need not be durable at once (a receipt, `reverting`, `reverted`) waits for
   * the next group's fsync before it gets one of its own, in the background (default 2 ms).
   */
  syncDelayMs?: number;
  /** Pid, boot id and process liveness, for the lock (default the Node platform). */
  platform?: Platform;
  /**
   * Bytes kept aside in `<path>.reserve` so that receipts and revert progress are written even on a
   * full disk (default 1 MiB, see {@link JOURNAL_RESERVE_BYTES}; 0: none).
   */
  reserveBytes?: number;
}

/** What a {@link FileJournal} did to the disk, for benchmarks and tests. */
export interface FileJournalStats {
  /** write(2) calls that appended lines (one per group commit). */
  writes: number;
  /** fsync(2) calls on the journal or its directory. */
  fsyncs: number;
  /** Rewrites by compaction. */
  compactions: number;
}

/** The default journal file in a state directory (see `defaultStateDir`). */
export function defaultJournalPath(stateDir: string): string {
  return join(stateDir, 'journal.jsonl');
}

/**
 * The embedded {@link RollbackJournal}: an append-only JSONL file (`{"op":"begin","entry":…}`,
 * `{"op":"update","id":…,"patch":…,"at":…}`) that several processes — a host, its sentinel, a
 * `faultline recover` — append to at once. Appends take no lock: each group is one O_APPEND
 * write(2), which Linux never interleaves with another writer's on a local file system. Only
 * compaction (rewrite + rename) takes the lock file beside the journal; a writer that finds a
 * compaction raced with its append writes again, under the lock, what the new file lacks. Reads
 * fold what is on disk, whoever wrote it (incrementally: only bytes appended since are parsed).
 * Writers must share the host (and pid namespace, for stale-lock detection); not for NFS.
 *
 * Durability: `begin()` and an `update()` that sets `revert_failed` or manual commands are fsync'd
 * before their promise resolves. Every other update (a receipt, `reverting`, `reverted`) is written
 * before it resolves — every process on the host reads it from then on: the sentinel, a `recover` —
 * and fsync'd by the next group's fsync, or in the background within 2 ms when none comes first
 * (a run's next begin usually does: one fsync per serial fault instead of two). A power cut before
 * that fsync leaves the entry `injecting` or `active`, which recovery reverts again from the entry,
 * as it must after a death mid-inject: revert accepts a missing receipt and is idempotent.
 *
 * Group commit: calls made in the same turn of the event loop, or while an fsync is in flight, are
 * written with one write(2) and one fsync(2). A torn last line (a crash mid-write) is skipped with a
 * warning; a damaged line is warned about, reported by {@link FileJournal.damage}, copied to
 * `<path>.corrupt-<time>` before a compaction drops it, and rebuilt into its entry when it was a
 * begin whose id can be read. Reverted entries are compacted away on open, every `compactEvery`
 * appends and on `compact()`.
 *
 * A full disk: see {@link JournalReserve} (`<path>.reserve`). Trust: the journal and its directory
 * must be this user's and writable by nobody else, and the file is never opened through a symlink.
 */
export class FileJournal implements RollbackJournal {
  /** The journal file. */
  readonly path: string;
  readonly #fold: JournalFold;
  readonly #lock: FileLock;
  readonly #lockPath: string;
  readonly #compactEvery: number;
  readonly #keepRevertedMs: number;
  readonly #warn: (message: string) => void;
  readonly #stats: FileJournalStats = { writes: 0, fsyncs: 0, compactions: 0 };
  readonly #reserve: JournalReserve;
  /** Damaged lines this instance read (each once), with where they were kept aside. */
  readonly #damage: DamagedLine[] = [];
  #queue: QueuedOp[] = [];
  #scheduled = false;
  #tail: Promise<unknown> = Promise.resolve();
  #ready: Promise<void> | undefined;
  #closed = false;
  readonly #sync: AppendSync;
  #appends = 0;

  /** A journal at `path`; the directory and file are created on first use (or by {@link FileJournal.open}). */
  constructor(path: string, opts: FileJournalOptions = {}) {
    this.path = path;
    // a skipped line is news a person should see: without a handler it goes to Node's warnings (stderr)
    this.#warn = opts.onWarning
      ? (m) => opts.onWarning?.(m)
      : (m) => process.emitWarning(m, { type: 'FaultlineJournalWarning', code: 'FL_JOURNAL' });
    this.#fold = new JournalFold(path, this.#warn, (d) => this.#damage.push(d));
    this.#reserve = new JournalReserve(`${path}.reserve`, opts.reserveBytes ?? JOURNAL_RESERVE_BYTES);
    this.#lockPath = opts.lockPath ?? `${path}.lock`;
    this.#lock = new FileLock(this.#lockPath, {
      ...(opts.lockTimeoutMs === undefined ? {} : { timeoutMs: opts.lockTimeoutMs }),
      ...(opts.platform ? { platform: opts.platform } : {}),
    });
    this.#compactEvery = opts.compactEvery ?? 1000;
    this.#keepRevertedMs = opts.keepRevertedMs ?? 60_000;
    this.#sync = new AppendSync(path, opts.syncDelayMs ?? 2, {
      fsynced: () => this.#stats.fsyncs++,
      failed: (m) => this.#warn(m),
    });
  }

  /**
   * Opens (creating if missing) the journal, checks it and its directory belong to this user and are
   * writable by nobody else, compacts it and makes its reserve. FL_JOURNAL when it cannot be opened;
   * a compaction or reserve that fails (a full disk) is warned about and the journal is used as it is.
   */
  static async open(path: string, opts: FileJournalOptions = {}): Promise<FileJournal> {
    const journal = new FileJournal(path, opts);
    await journal.#ensureReady();
    return journal;
  }

  /** Counters of writes, fsyncs and compactions so far. */
  get stats(): Readonly<FileJournalStats> {
    return { ...this.#stats };
  }

  /** Appends the entry; durable when the promise resolves. FL_JOURNAL when its id is already journaled. */
  async begin(entry: JournalEntry): Promise<void> {
    this.#assertOpen('begin()');
    checkEntry(entry);
    const json = this.#serialize(entry);
    // the copy is what the line says: parsed back, so the fold holds exactly what a reader would
    const copy = JSON.parse(json) as JournalEntry;
    await this.#ensureReady();
    return this.#enqueue({ entry: copy, id: copy.id, json, durability: 'now' });
  }

  /** Appends the patch (stamping `updatedAt`); see the class notes for which patches are fsync'd. */
  async update(id: string, patch: JournalPatch): Promise<void> {
    this.#assertOpen('update()');
    const json = this.#serialize(patch);
    const copy = JSON.parse(json) as JournalPatch;
    await this.#ensureReady();
    return this.#enqueue({ id, patch: copy, json, durability: patchDurability(copy) });
  }

  /** Entries not `reverted`, oldest first, as written by any process. */
  async pending(): Promise<JournalEntry[]> {
    this.#read('pending()');
    return [...this.#fold.entries.values()]
      .filter((e) => e.state !== 'reverted')
      .map((e) => structuredClone(e));
  }

  /** One entry by id, whatever its state (a reverted entry disappears once compacted). */
  async get(id: string): Promise<JournalEntry | undefined> {
    this.#read('get()');
    const e = this.#fold.entries.get(id);
    return e && structuredClone(e);
  }

  /**
   * Rewrites the file without the reverted entries older than `keepRevertedMs` (and without torn
   * lines): temp file, fsync, rename, fsync of the directory, under the lock. Returns how many
   * entries were dropped.
   */
  async compact(opts: { keepRevertedMs?: number } = {}): Promise<{ dropped: number }> {
    this.#assertOpen('compact()');
    await this.#ensureReady();
    return this.#serial(() => this.#compact(opts.keepRevertedMs ?? this.#keepRevertedMs, false));
  }

  /**
   * The lines this instance could not parse (with the entries rebuilt from them, and where they were
   * copied before a compaction dropped them), and every `<journal>.corrupt-*` file beside it.
   */
  damage(): JournalDamage {
    return { lines: this.#damage.map((d) => ({ ...d })), keptAside: keptAsideFiles(this.path) };
  }

  /** Writes what is queued, makes every write durable and releases the file. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#serial(() => this.#drain());
    await this.#sync.settle();
    try {
      // the file at the path now: after a compaction it holds our unsynced writes too
      if (this.#sync.unsynced) {
        const fd = openSync(this.path, READ_NOFOLLOW);
        try {
          await fsyncFd(fd);
          this.#stats.fsyncs++;
        } finally {
          closeSync(fd);
        }
        this.#sync.allSynced();
      }
    } catch (e) {
      throw this.#error(e, 'sync');
    } finally {
      this.#sync.closeFd();
      this.#fold.close();
    }
  }

  #assertOpen(what: string): void {
    if (this.#closed) throw closedError(what);
  }

  #serialize(value: JournalEntry | JournalPatch): string {
    try {
      return JSON.stringify(value);
    } catch (e) {
      throw new FaultlineError('FL_JOURNAL', `a journal entry must be plain JSON: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }

  #read(what: string): void {
    this.#assertOpen(what);
    try {
      this.#fold.refresh();
    } catch (e) {
      throw this.#error(e, 'read');
    }
  }

  #ensureReady(): Promise<void> {
    this.#ready ??= this.#serial(async () => {
      this.#stats.fsyncs += await ensureFile(this.path);
      // Compacting and the reserve make later writes cheaper and safer; neither is needed to read
      // the journal and revert from it. On a full disk (or a lock another process holds) the
      // sentinel and recover() must still open it: warn, and use the file as it is.
      await this.#compact(this.#keepRevertedMs, true).catch((e: unknown) =>
        this.#warn(
          `could not compact ${this.path} on open, it is used as it is: ${this.#error(e, 'compact').message}`,
        ),
      );
      if (!this.#reserve.fill(true))
        this.#warn(
          `could not make the journal's reserve ${this.#reserve.path} (${this.#reserve.bytes} bytes): ` +
            (this.#reserve.broken ??
              'the filesystem needs twice that free; nothing new is injected until it has') +
            '. On a full disk, revert progress is written only while there is room',
        );
    }).catch((e: unknown) => {
      this.#ready = undefined; // the next call tries again (a full disk may have been cleaned up)
      throw this.#error(e, 'open');
    });
    return this.#ready;
  }

  /** Runs `fn` after every earlier flush or compaction of this instance. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(fn);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  #enqueue(op: Omit<QueuedOp, 'resolve' | 'reject'>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ ...op, resolve, reject });
      if (this.#scheduled) return;
      this.#scheduled = true;
      // setImmediate, not a microtask: calls that follow a few awaits in the same turn (a parallel
      // group going through validation and p-limit) still join this group commit
      setImmediate(() => {
        this.#scheduled = false;
        void this.#serial(() => this.#drain());
      });
    });
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) await this.#flush();
    if (this.#compactEvery > 0 && this.#appends >= this.#compactEvery) {
      this.#appends = 0;
      await this.#compact(this.#keepRevertedMs, false).catch((e: unknown) => {
        this.#warn(
          `compaction of ${this.path} failed, the journal is intact and keeps growing: ${String(e)}`,
        );
      });
    }
  }

  /** One group commit: everything queued, one write, at most one fsync; no lock unless a compaction raced. */
  async #flush(): Promise<void> {
    const ops = this.#queue;
    this.#queue = [];
    try {
      const fd = this.#sync.fd();
      const { accepted, records, raced } = appendOrUseReserve(
        fd,
        this.#fold,
        ops,
        this.#lockPath,
        this.#reserve,
        (freed) =>
          this.#warn(
            `the filesystem of ${this.path} is full: ${freed} bytes of the journal's reserve were given back to record revert progress. Free space there; nothing new is injected meanwhile.`,
          ),
      );
      if (records.length === 0) return;
      this.#stats.writes++;
      this.#appends += records.length;
      const seq = this.#sync.wrote();
      const now = accepted.some((op) => op.durability === 'now');
      if (now) this.#sync.syncNow(fd, seq);
      // A compaction may have lost the write: under the lock, write again (durably) what is
      // missing, and let the next group open the file the path names now.
      if (raced) {
        await this.#reconcile(records);
        this.#sync.closeFd();
      } else if (!now) {
        this.#sync.syncSoon();
      }
      for (const op of accepted) op.resolve();
      // space came back after a full disk: the reserve is made whole again (throttled, best effort)
      if (this.#reserve.short) this.#reserve.fill();
    } catch (e) {
      this.#sync.closeFd();
      const err = this.#error(e, 'append to');
      for (const op of ops) op.reject(err);
    }
  }

  /**
   * Under the lock (no compaction running), appends again the records whose effect the journal
   * does not hold. Known limit: an update lost this way while another process updated the same
   * entry in the same instant is not re-written (its stamp is older than the other one).
   */
  async #reconcile(records: AppendedRecord[]): Promise<void> {
    await this.#lock.acquire();
    let fd: number | undefined;
    try {
      fd = openSync(this.path, APPEND_NOFOLLOW, 0o600);
      const { size } = this.#fold.refreshFromFd(fd);
      const missing = missingFrom(this.#fold, records);
      if (missing.length === 0) return;
      appendLines(fd, size, missing);
      this.#stats.writes++;
      // rare (a compaction raced with the write): durable at once, whatever the records were
      fsyncSync(fd);
      this.#stats.fsyncs++;
      // the compaction made everything before it durable; this fsync did the rest
      this.#sync.allSynced();
    } finally {
      if (fd !== undefined) closeSync(fd);
      this.#lock.release();
    }
  }

  /** Compacts under the lock (see {@link compactJournal}). */
  async #compact(keepRevertedMs: number, cleanup: boolean): Promise<{ dropped: number }> {
    await this.#lock.acquire();
    try {
      const { dropped, rewritten, keptAside } = await compactJournal(
        this.path,
        this.#fold,
        keepRevertedMs,
        cleanup,
      );
      if (keptAside) {
        noteKeptAside(this.#damage, keptAside.lines);
        this.#warn(
          `copied ${keptAside.lines.length} damaged line(s) of ${this.path} to ${keptAside.file} before compacting them away; keep that file until a person has looked at it`,
        );
      }
      if (rewritten) {
        this.#stats.fsyncs += 2; // the new file, then the directory
        this.#stats.compactions++;
        this.#sync.allSynced();
        // the path names the new file now: the next group opens it
        this.#sync.closeFd();
      }
      return { dropped };
    } finally {
      this.#lock.release();
    }
  }

  #error(e: unknown, action: string): FaultlineError {
    return journalError(this.path, e, action);
  }
}
