import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  ftruncateSync,
  lstatSync,
  openSync,
  statfsSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { isNoSpace } from './full-disk.js';

/** The space a FileJournal keeps aside for revert progress on a full disk (default of `reserveBytes`). */
export const JOURNAL_RESERVE_BYTES = 1024 * 1024;

/** What one release gives back: many update lines (a revert's progress is two lines of ~200 bytes). */
const CHUNK = 64 * 1024;

/** Refills at most this often while short: each try costs a statfs and maybe a write. */
const REFILL_EVERY_MS = 1_000;

const OPEN = constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW;

/**
 * Room to roll back when the disk is full: a file beside the journal (`journal.jsonl.reserve`)
 * holding `bytes` of real data. When an append fails with ENOSPC, the journal shrinks it by a chunk
 * and writes again, so that receipts and revert progress (`reverting`, `reverted`, `revert_failed`)
 * are recorded even then. Nothing new is injected while it is not whole: a begin waits until it is
 * (the space a release gave back is for revert progress, not for new chaos). It is filled again once
 * the filesystem has room for it twice over, so it never competes for the last bytes. Random bytes,
 * so that a compressing filesystem stores every block of it. Best effort: no call here throws. A
 * reserve that cannot be made for another reason than space (a read-only disk, a permission) holds
 * nothing back: the journal's own writes then fail with that reason.
 */
export class JournalReserve {
  #short = true;
  #lastTry = 0;
  /** Why the last fill failed when it was not for lack of space (then begins are not held back). */
  #broken: string | undefined;

  constructor(
    readonly path: string,
    readonly bytes: number,
  ) {}

  /** The reserve was used (or could not be made) and is not whole yet. */
  get short(): boolean {
    return this.bytes > 0 && this.#short;
  }

  /** Why the reserve could not be made, other than space (a read-only or foreign file system). */
  get broken(): string | undefined {
    return this.#broken;
  }

  /**
   * Is the reserve whole now, whoever used it (another process on this journal may have)? Tries to
   * refill it (at most once a second) when it is not.
   */
  whole(): boolean {
    if (this.bytes === 0 || this.#broken) return true;
    const size = lstatSync(this.path, { throwIfNoEntry: false })?.size ?? 0;
    if (size >= this.bytes) return true;
    this.#short = true;
    return this.fill();
  }

  /** Makes the reserve whole if there is room for it; returns whether it is whole. */
  fill(force = false): boolean {
    if (this.bytes === 0) return true;
    if (!force && Date.now() - this.#lastTry < REFILL_EVERY_MS) return !this.#short;
    this.#lastTry = Date.now();
    let fd: number | undefined;
    try {
      fd = openSync(this.path, OPEN, 0o600);
      const size = fstatSync(fd).size;
      if (size < this.bytes) {
        const s = statfsSync(dirname(this.path));
        // room for the missing part twice over: a disk that is filling up keeps its last bytes for the journal
        if (s.bavail * s.bsize < 2 * (this.bytes - size)) {
          this.#short = true;
          return false;
        }
        const data = randomBytes(this.bytes - size);
        let done = 0;
        while (done < data.length) done += writeSync(fd, data, done, data.length - done, size + done);
      }
      this.#short = false;
      this.#broken = undefined;
    } catch (e) {
      // ENOSPC meanwhile: short until there is room. Anything else: the journal works without it
      this.#short = true;
      if (!isNoSpace(e)) this.#broken = (e as Error).message;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    return !this.#short;
  }

  /** Gives a chunk of the reserve back to the filesystem; returns the bytes freed (0: nothing left). */
  release(): number {
    let fd: number | undefined;
    try {
      fd = openSync(this.path, constants.O_WRONLY | constants.O_NOFOLLOW);
      const size = fstatSync(fd).size;
      const next = Math.max(0, size - CHUNK);
      ftruncateSync(fd, next);
      this.#short = true;
      return size - next;
    } catch {
      return 0;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }
}
