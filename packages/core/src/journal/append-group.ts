import { fstatSync, ftruncateSync, lstatSync, readSync } from 'node:fs';
import type { JournalEntry, JournalPatch } from '../journal.js';
import { writeAll, writtenBefore } from './durable-fs.js';
import type { JournalFold } from './fold.js';
import {
  applyPatch,
  type Durability,
  duplicateError,
  isNewer,
  unknownError,
  updateStamp,
} from './records.js';

/** One queued `begin` (with `entry`) or `update` (with `patch`), waiting for its group commit. */
export interface QueuedOp {
  entry?: JournalEntry;
  id: string;
  patch?: JournalPatch;
  /** The entry or the patch as JSON, serialized at call time: a value JSON cannot hold fails that call alone. */
  json: string;
  /** When the line must be on disk (see {@link Durability}). */
  durability: Durability;
  resolve(): void;
  reject(e: unknown): void;
}

/** A line appended for an op: what a writer checks for when a compaction may have raced with its write. */
export interface AppendedRecord {
  id: string;
  line: string;
  /** The update's stamp; undefined for a begin. */
  at?: string;
}

/**
 * With `fd` opened O_APPEND on the journal (no lock: one write(2) per group, and Linux appends a
 * write to a local file whole, never interleaved with another writer's): brings the fold up to
 * date, checks each op against what is on disk now (a begin of a known id, an update of an
 * unknown one, fail alone), then appends the good ones with a single write.
 *
 * `raced` says a compaction may have lost the write. A compaction rewrites the file and renames
 * it over; a write that lands in the old file after the compactor read it is lost. A compaction
 * holds `lockPath` from before its read to after its rename: so if no lock exists after the write,
 * and then the file written still has a name (a rename over it leaves it none), the write is safe.
 */
export function appendGroup(
  fd: number,
  fold: JournalFold,
  ops: QueuedOp[],
  lockPath: string,
): { accepted: QueuedOp[]; records: AppendedRecord[]; raced: boolean } {
  const { size, ino } = fold.refreshFromFd(fd);
  const changed = new Map<string, JournalEntry>();
  const records: AppendedRecord[] = [];
  const accepted: QueuedOp[] = [];
  for (const op of ops) {
    const current = changed.get(op.id) ?? fold.entries.get(op.id);
    if (op.entry) {
      if (current) {
        op.reject(duplicateError(op.id));
        continue;
      }
      records.push({ id: op.id, line: `{"op":"begin","entry":${op.json}}\n` });
      changed.set(op.id, op.entry);
    } else if (op.patch) {
      if (!current) {
        op.reject(unknownError(op.id));
        continue;
      }
      const at = updateStamp(current.updatedAt);
      records.push({
        id: op.id,
        at,
        line: `{"op":"update","id":${JSON.stringify(op.id)},"patch":${op.json},"at":"${at}"}\n`,
      });
      changed.set(op.id, applyPatch(current, op.patch, at));
    }
    accepted.push(op);
  }
  if (records.length === 0) return { accepted, records, raced: false };
  const bytes = appendLines(fd, size, records, fold.offset === size);
  // in this order: the lock, then the name (see above)
  // lstat, not exists: the lock is a symlink whose target is no file
  const locked = lstatSync(lockPath, { throwIfNoEntry: false }) !== undefined;
  const after = fstatSync(fd);
  fold.appendOwn(ino, size, after.size, bytes, records.length, () => {
    for (const [id, e] of changed) fold.entries.set(id, e);
  });
  return { accepted, records, raced: locked || after.nlink === 0 };
}

/**
 * Appends the records' lines in one write and returns its length. A torn tail (a crash mid-write)
 * is ended first, so the first line is not glued onto it; `clean` says the fold already knows the
 * file ends with a newline.
 */
export function appendLines(fd: number, size: number, records: AppendedRecord[], clean = false): number {
  let data = Buffer.from(records.map((r) => r.line).join(''));
  if (size > 0 && !clean && lastByte(fd, size) !== 0x0a) data = Buffer.concat([Buffer.from('\n'), data]);
  try {
    writeAll(fd, data);
  } catch (e) {
    undoPartial(fd, size, writtenBefore(e));
    throw e;
  }
  return data.length;
}

/**
 * A write that stopped part way (ENOSPC after a short write) left half a line at the end: cut it
 * off, so the next append does not glue onto it and no reader sees a damaged line. Only when the
 * file ends exactly where that write did, i.e. nobody appended after it.
 */
function undoPartial(fd: number, size: number, written: number): void {
  if (written === 0) return;
  try {
    if (fstatSync(fd).size === size + written) ftruncateSync(fd, size);
  } catch {
    // left as a torn line: readers skip it, the next compaction drops it
  }
}

/** The records whose effect is not in the fold: a begin whose entry is missing, an update the entry's stamp has not reached. */
export function missingFrom(fold: JournalFold, records: AppendedRecord[]): AppendedRecord[] {
  // begins lost with this group: their updates in the same group are lost with them
  const lostBegins = new Set(
    records.filter((r) => r.at === undefined && !fold.entries.has(r.id)).map((r) => r.id),
  );
  return records.filter((r) => {
    const e = fold.entries.get(r.id);
    if (r.at === undefined) return !e;
    // no entry and no begin of it here: reverted and compacted away, the update no longer matters
    if (!e) return lostBegins.has(r.id);
    return isNewer(r.at, e.updatedAt);
  });
}

function lastByte(fd: number, size: number): number | undefined {
  const b = Buffer.alloc(1);
  return readSync(fd, b, 0, 1, size - 1) === 1 ? b[0] : undefined;
}
