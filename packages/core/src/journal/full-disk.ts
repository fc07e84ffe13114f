import { dirname } from 'node:path';
import { FaultlineError } from '../errors.js';
import { type AppendedRecord, appendGroup, type QueuedOp } from './append-group.js';
import type { JournalFold } from './fold.js';
import type { JournalReserve } from './reserve.js';

/** ENOSPC or EDQUOT: the filesystem (or this user's quota) has no room. */
export function isNoSpace(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** FL_JOURNAL for a begin refused on a full disk. */
export function fullDiskError(path: string, cause: unknown): FaultlineError {
  return new FaultlineError(
    'FL_JOURNAL',
    `the filesystem of the rollback journal ${path} is full, so nothing new is injected (without a durable ` +
      `journal entry a crash could leave it in effect). Free space there (df -h ${dirname(path)}); the ` +
      'journal keeps a reserve only to record the revert of what is already injected.',
    { cause, details: { path } },
  );
}

/** FL_JOURNAL for a begin refused while the journal's reserve is not whole (the disk is, or was just, full). */
export function reserveShortError(path: string, reserve: JournalReserve): FaultlineError {
  return new FaultlineError(
    'FL_JOURNAL',
    `the filesystem of the rollback journal ${path} is (nearly) full: the journal keeps ${reserve.bytes} bytes aside ` +
      `(${reserve.path}) to record reverts on a full disk, and it needs twice that free to make them whole again, ` +
      `so nothing new is injected. Free space there (df -h ${dirname(path)}).`,
    { details: { path, reserve: reserve.path } },
  );
}

/**
 * {@link appendGroup}, with the reserve: a group's begins fail while the reserve is not whole, or
 * when the write fails for lack of space (nothing new is injected on a full disk); its other records — receipts and revert progress of what is
 * already injected — are written again each time the reserve gives back a chunk, until they fit or
 * the reserve is empty (then the ENOSPC is thrown). `used` is told each chunk given back.
 */
export function appendOrUseReserve(
  fd: number,
  fold: JournalFold,
  ops: QueuedOp[],
  lockPath: string,
  reserve: JournalReserve,
  used: (freed: number) => void,
): { accepted: QueuedOp[]; records: AppendedRecord[]; raced: boolean } {
  let group = ops;
  // a begin needs the reserve whole: the room it keeps is for reverting what is already injected
  if (group.some((op) => op.entry) && !reserve.whole()) {
    for (const op of group) if (op.entry) op.reject(reserveShortError(fold.path, reserve));
    group = group.filter((op) => !op.entry);
    if (group.length === 0) return { accepted: [], records: [], raced: false };
  }
  try {
    return appendGroup(fd, fold, group, lockPath);
  } catch (e) {
    if (!isNoSpace(e)) throw e;
    for (const op of group) if (op.entry) op.reject(fullDiskError(fold.path, e));
    const rest = group.filter((op) => !op.entry);
    for (;;) {
      if (rest.length === 0) return { accepted: [], records: [], raced: false };
      const freed = reserve.release();
      if (freed === 0) throw e;
      used(freed);
      try {
        return appendGroup(fd, fold, rest, lockPath);
      } catch (again) {
        if (!isNoSpace(again)) throw again;
      }
    }
  }
}
