import {
  closeSync,
  fsync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';

/** fsync on the libuv thread pool: the event loop keeps queueing the next group while the disk works. */
export const fsyncFd: (fd: number) => Promise<void> = promisify(fsync);

/** Writes all of `data` at the descriptor's position (O_APPEND: the end), looping over short writes. */
export function writeAll(fd: number, data: Buffer): void {
  let done = 0;
  while (done < data.length) done += writeSync(fd, data, done, data.length - done);
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
 * Makes sure the journal's directory (mode 0700: entries hold tunables) and file (0600) exist,
 * and that their creation is durable. Returns the number of fsyncs it needed.
 */
export async function ensureFile(path: string): Promise<number> {
  let syncs = 0;
  const dir = dirname(path);
  const created = mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (created !== undefined) {
    await fsyncDir(dirname(created));
    syncs++;
  }
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return syncs;
    throw e;
  }
  await fsyncDir(dir);
  return syncs + 1;
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
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeAll(fd, data);
    await fsyncFd(fd);
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    throw e;
  }
  closeSync(fd);
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
      else if (name.startsWith(`${base}.lock.stale-`) && now - statSync(full).mtimeMs > 60_000)
        unlinkSync(full);
    } catch {
      // another process removed it first
    }
  }
}
