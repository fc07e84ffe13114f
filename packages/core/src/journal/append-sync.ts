import { closeSync, fsync, fsyncSync, openSync } from 'node:fs';
import { APPEND_NOFOLLOW } from './state-dir.js';

/**
 * The descriptor a FileJournal appends through, and which of its writes are on disk yet: a write
 * that must be durable at once is fsync'd on this thread ({@link AppendSync.syncNow}); any other is
 * made durable within `delayMs` ({@link AppendSync.syncSoon}) by the next group's fsync when one
 * comes first (a run journals its next fault's begin right away), else by one in the background.
 */
export class AppendSync {
  /** Appends (groups) written, and how many of them are known to be on disk. */
  #writeSeq = 0;
  #syncedSeq = 0;
  /** The background fsync in flight, on `fd`; `again` when more was written for it meanwhile. */
  #background: { fd: number; done: Promise<void>; again: boolean; closeAfter: boolean } | undefined;
  /** Fsyncs the writes not yet durable if no group's fsync does first. */
  #soonTimer: NodeJS.Timeout | undefined;
  #fd: number | undefined;

  constructor(
    readonly path: string,
    readonly delayMs: number,
    /** Told each fsync made (stats) and each background fsync that failed. */
    readonly hooks: { fsynced(): void; failed(message: string): void },
  ) {}

  /**
   * The descriptor appends go to, kept open between groups (opened without following a symlink). A
   * compaction renames a new file in: the check after each write sees that (and closes the
   * descriptor), and so does the journal's own compaction.
   */
  fd(): number {
    this.#fd ??= openSync(this.path, APPEND_NOFOLLOW, 0o600);
    return this.#fd;
  }

  /** A group was written; returns its sequence number. */
  wrote(): number {
    return ++this.#writeSeq;
  }

  /** Some writes are not known to be on disk. */
  get unsynced(): boolean {
    return this.#syncedSeq < this.#writeSeq;
  }

  /** Everything written so far is on disk (a compaction or a reconcile fsync'd it). */
  allSynced(): void {
    this.#syncedSeq = this.#writeSeq;
  }

  /**
   * fsyncs `fd` on this thread: the caller waits for it anyway, and a hop through libuv's pool cost
   * ~2x the fsync itself on a fast disk; the event loop blocks for one fsync per group.
   */
  syncNow(fd: number, seq: number): void {
    fsyncSync(fd);
    this.hooks.fsynced();
    this.#syncedSeq = Math.max(this.#syncedSeq, seq);
    this.#cancelSoon();
  }

  /** Makes what is written durable within `delayMs` (see the class notes). */
  syncSoon(): void {
    if (this.#soonTimer) return;
    this.#soonTimer = setTimeout(() => {
      this.#soonTimer = undefined;
      if (this.unsynced && this.#fd !== undefined) this.#syncInBackground(this.#fd);
    }, this.delayMs);
  }

  /** Closes the descriptor (a background fsync still using it closes it when it ends). */
  closeFd(): void {
    if (this.#fd === undefined) return;
    const fd = this.#fd;
    this.#fd = undefined;
    if (this.#background?.fd === fd) this.#background.closeAfter = true;
    else closeQuietly(fd);
  }

  /** No fsync is pending or in flight any more (what close() waits for). */
  async settle(): Promise<void> {
    this.#cancelSoon();
    while (this.#background) await this.#background.done;
  }

  #cancelSoon(): void {
    clearTimeout(this.#soonTimer);
    this.#soonTimer = undefined;
  }

  /**
   * fsyncs `fd` on libuv's pool while the caller goes on; a group written while one is in flight
   * gets one more when it ends. A failure is told to `failed` and leaves the writes unsynced, so the
   * next fsync tries again.
   */
  #syncInBackground(fd: number): void {
    if (this.#background) {
      this.#background.again = true;
      return;
    }
    const upTo = this.#writeSeq;
    this.hooks.fsynced();
    const bg = {
      fd,
      again: false,
      closeAfter: false,
      done: new Promise<void>((resolve) => {
        fsync(fd, (err) => {
          this.#background = undefined;
          if (err) {
            this.hooks.failed(
              `fsync of ${this.path} failed, a receipt may not survive a power cut: ${err.message}`,
            );
          } else {
            this.#syncedSeq = Math.max(this.#syncedSeq, upTo);
          }
          if (bg.closeAfter) closeQuietly(fd);
          else if (bg.again && this.unsynced && this.#fd === fd) this.#syncInBackground(fd);
          resolve();
        });
      }),
    };
    this.#background = bg;
  }
}

/** Closes a descriptor that may already be unusable. */
export function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already unusable: nothing to release
  }
}
