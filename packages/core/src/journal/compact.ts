import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { DamagedLine } from '../journal.js';
import { removeLeftovers, replaceFile, writeNewFile } from './durable-fs.js';
import type { JournalFold } from './fold.js';
import { READ_NOFOLLOW } from './state-dir.js';

/** What a compaction did. */
export interface Compaction {
  dropped: number;
  rewritten: boolean;
  /** Damaged lines it copied aside before dropping them, and the file that holds them. */
  keptAside?: { file: string; lines: DamagedLine[] };
}

/**
 * Under the journal lock: rewrites the journal as one `begin` line per entry in its current state,
 * without the `reverted` entries older than `keepRevertedMs` and without torn or damaged lines.
 * Atomic and durable (temp file, fsync, rename, fsync of the directory). Damaged lines are first
 * copied, durably, to `<journal>.corrupt-<time>`: a compaction that cannot keep them (a full disk)
 * leaves the journal as it is. A torn tail is dropped: its write never completed, so its begin was
 * never durable and nothing was injected after it. Leaves the file alone when that would not make it
 * smaller. `cleanup` also removes what crashed processes left beside it.
 */
export async function compactJournal(
  path: string,
  fold: JournalFold,
  keepRevertedMs: number,
  cleanup: boolean,
): Promise<Compaction> {
  if (cleanup) removeLeftovers(path);
  const fd = openSync(path, READ_NOFOLLOW);
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
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  let keptAside: Compaction['keptAside'];
  if (fold.damaged.length > 0) {
    const file = `${path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}-${tag}`;
    const damaged = [...fold.damaged];
    await writeNewFile(file, Buffer.from(damaged.map((d) => `${d.text}\n`).join('')));
    keptAside = { file, lines: damaged.map((d) => ({ ...d, keptIn: file })) };
  }
  await replaceFile(path, data, tag);
  return { dropped, rewritten: true, ...(keptAside ? { keptAside } : {}) };
}

/** The `<journal>.corrupt-*` files beside a journal, oldest first: lines compactions kept aside. */
export function keptAsideFiles(path: string): string[] {
  const prefix = `${basename(path)}.corrupt-`;
  try {
    return readdirSync(dirname(path))
      .filter((n) => n.startsWith(prefix))
      .sort()
      .map((n) => join(dirname(path), n));
  } catch {
    return []; // no directory: nothing was kept
  }
}

/** Notes in `damage` (what a journal instance reported) where a compaction kept each line. */
export function noteKeptAside(damage: DamagedLine[], kept: DamagedLine[]): void {
  for (const k of kept) {
    const known = damage.find((d) => d.journal === k.journal && d.byte === k.byte && !d.keptIn);
    if (known) known.keptIn = k.keptIn!;
    else damage.push({ ...k, text: k.text.length > 300 ? `${k.text.slice(0, 300)}…` : k.text });
  }
}
