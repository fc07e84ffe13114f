import { randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { removeLeftovers, replaceFile } from './durable-fs.js';
import type { JournalFold } from './fold.js';

/**
 * Under the journal lock: rewrites the journal as one `begin` line per entry in its current state,
 * without the `reverted` entries older than `keepRevertedMs` and without torn or unparsable lines.
 * Atomic and durable (temp file, fsync, rename, fsync of the directory). Leaves the file alone when
 * that would not make it smaller. `cleanup` also removes what crashed processes left beside it.
 */
export async function compactJournal(
  path: string,
  fold: JournalFold,
  keepRevertedMs: number,
  cleanup: boolean,
): Promise<{ dropped: number; rewritten: boolean }> {
  if (cleanup) removeLeftovers(path);
  const fd = openSync(path, 'r');
  let size: number;
  try {
    size = fold.refreshFromFd(fd).size;
  } finally {
    closeSync(fd);
  }
  const cutoff = Date.now() - keepRevertedMs;
  let dropped = 0;
  const lines: string[] = [];
  for (const e of fold.entries.values()) {
    if (e.state === 'reverted' && !(Date.parse(e.updatedAt) > cutoff)) dropped++;
    else lines.push(`${JSON.stringify({ op: 'begin', entry: e })}\n`);
  }
  const data = Buffer.from(lines.join(''));
  if (data.length >= size) return { dropped: 0, rewritten: false };
  await replaceFile(path, data, `${process.pid}-${randomBytes(4).toString('hex')}`);
  return { dropped, rewritten: true };
}
