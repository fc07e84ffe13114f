import {
  closeSync,
  fsync,
  lstatSync,
  openSync,
  readdirSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { checkJournalFile, prepareStateDir } from './state-dir.js';

/** fsync on the libuv thread pool: the event loop keeps queueing the next group while the disk works. */
export const fsyncFd: (fd: number) => Promise<void> = promisify(fsync);

/**
 * Writes all of `data` at the descriptor's position (O_APPEND: the end), looping over short writes.
 * A write that fails part way (ENOSPC after a short write) throws an error carrying `written`.
 */
export function writeAll(fd: number, data: Buffer): void {
  let done = 0;
  try {
    while (done < data.length) done += writeSync(fd, data, done, data.length - done);
  } catch (e) {
    if (done > 0 && typeof e === 'object' && e !== null) (e as { written?: number }).written = done;
    throw e;
  }
}

/** Bytes a failed {@link writeAll} wrote before it failed. */
export function writtenBefore(e: unknown): number {
  return (e as { written?: number } | null)?.written ?? 0;
}

/** fsyncs a directory, so a file created or renamed in it survives a power cut. */
export async function fsyncDir(dir: string): Promise<void> {
  const fd = openSync(dir, 'r');
  try {
    await fsyncFd(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Makes sure the journal's directory (mode 0700: entries hold tunables; checked like ssh checks its
 * keys' directory) and file (0600, a regular file of this user's) exist, and that their creation is
 * durable. Returns the number of fsyncs it needed.
 */
export async function ensureFile(path: string): Promise<number> {
  let syncs = 0;
  const dir = dirname(path);
  const created = prepareStateDir(dir);
  if (created !== undefined) {
    await fsyncDir(dirname(created));
    syncs++;
  }
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    checkJournalFile(path);
    return syncs;
  }
  await fsyncDir(dir);
  return syncs + 1;
}

/** Creates `path` (it must not exist) holding `data`, fsync'd; a failure leaves no file. */
async function writeSynced(path: string, data: Buffer): Promise<void> {
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeAll(fd, data);
    await fsyncFd(fd);
  } catch (e) {
    closeSync(fd);
    unlinkSync(path);
    throw e;
  }
  closeSync(fd);
}

/** Creates `path` (it must not exist) holding `data`, durably: fsync of the file, then of its directory. */
export async function writeNewFile(path: string, data: Buffer): Promise<void> {
  await writeSynced(path, data);
  await fsyncDir(dirname(path));
}

/** The prefix of a compaction's temporary file. */
export function tempPrefix(path: string): string {
  return `${basename(path)}.compact-`;
}

/**
 * Replaces `path` with `data` atomically and durably: temp file, fsync, rename over, fsync the
 * directory. A crash leaves either the old file or the new one, never a mix.
 */
export async function replaceFile(path: string, data: Buffer, tag: string): Promise<void> {
  const tmp = join(dirname(path), `${tempPrefix(path)}${tag}`);
  await writeSynced(tmp, data);
  renameSync(tmp, path);
  await fsyncDir(dirname(path));
}

/**
 * Removes what crashed processes left beside the journal: compaction temp files (only a compactor
 * holding the lock writes one, so under the lock any other is a leftover) and lock files moved
 * aside by a takeover more than a minute ago.
 */
export function removeLeftovers(path: string, now = Date.now()): void {
  const dir = dirname(path);
  const base = basename(path);
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    try {
      if (name.startsWith(tempPrefix(path))) unlinkSync(full);
      else if (name.startsWith(`${base}.lock.stale-`) && now - lstatSync(full).mtimeMs > 60_000)
        unlinkSync(full);
    } catch {
      // another process removed it first
    }
  }
}
