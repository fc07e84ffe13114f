import { readSync } from 'node:fs';
import type { JournalEntry, JournalPatch } from '../journal.js';
import { writeAll } from './durable-fs.js';
import type { JournalFold } from './fold.js';
import { applyPatch, duplicateError, unknownError, updateStamp } from './records.js';

/** One queued `begin` (with `entry`) or `update` (with `patch`), waiting for its group commit. */
export interface QueuedOp {
  entry?: JournalEntry;
  id: string;
  patch?: JournalPatch;
  /** The entry or the patch as JSON, serialized at call time: a value JSON cannot hold fails that call alone. */
  json: string;
  /** Must be fsync'd before `resolve`. */
  durable: boolean;
  resolve(): void;
  reject(e: unknown): void;
}

/**
 * Under the journal lock, with `fd` opened O_APPEND on the journal: brings the fold up to date,
 * checks each op against what is on disk now (a begin of a known id, an update of an unknown
 * one, fail alone), then appends all the good ones with a single write. Returns those ops and
 * how many lines were written.
 */
export function appendGroup(
  fd: number,
  fold: JournalFold,
  ops: QueuedOp[],
): { accepted: QueuedOp[]; lines: number } {
  const { size } = fold.refreshFromFd(fd);
  const changed = new Map<string, JournalEntry>();
  const lines: string[] = [];
  const accepted: QueuedOp[] = [];
  for (const op of ops) {
    const current = changed.get(op.id) ?? fold.entries.get(op.id);
    if (op.entry) {
      if (current) {
        op.reject(duplicateError(op.id));
        continue;
      }
      lines.push(`{"op":"begin","entry":${op.json}}\n`);
      changed.set(op.id, op.entry);
    } else if (op.patch) {
      if (!current) {
        op.reject(unknownError(op.id));
        continue;
      }
      const at = updateStamp(current.updatedAt);
      lines.push(`{"op":"update","id":${JSON.stringify(op.id)},"patch":${op.json},"at":"${at}"}\n`);
      changed.set(op.id, applyPatch(current, op.patch, at));
    }
    accepted.push(op);
  }
  if (lines.length === 0) return { accepted, lines: 0 };
  let data = Buffer.from(lines.join(''));
  // a torn tail from a crash: end it first, so our first line is not glued onto it
  if (size > 0 && lastByte(fd, size) !== 0x0a) data = Buffer.concat([Buffer.from('\n'), data]);
  writeAll(fd, data);
  // what we wrote is what we know: no need to read it back (unless a torn tail sits before it)
  fold.appendOwn(size, data.length, () => {
    for (const [id, e] of changed) fold.entries.set(id, e);
  });
  return { accepted, lines: lines.length };
}

function lastByte(fd: number, size: number): number | undefined {
  const b = Buffer.alloc(1);
  return readSync(fd, b, 0, 1, size - 1) === 1 ? b[0] : undefined;
}
