// A small tmpfs a test mounts for itself, to make ENOSPC happen for real where faultline keeps its
// state, and fill it the way any program on the host could. Root only (mount(8)).
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A mounted tmpfs: its path, how full it is, and how to fill and unmount it. */
export interface SmallTmpfs {
  /** The mount point (mode 0700, owned by the caller: a valid faultline state dir). */
  readonly path: string;
  /** Bytes still free. */
  free(): number;
  /**
   * Writes `<path>/<name>` until the filesystem is full (ENOSPC), down to the last byte, and returns
   * its path. What any program filling the disk does; delete the file to give the space back.
   */
  fill(name?: string): string;
  /** Unmounts (lazily, so a process still inside cannot keep it) and removes the mount point. Idempotent. */
  unmount(): void;
}

/** True when this process may mount (root). */
export const canMount = process.getuid?.() === 0;

/**
 * Mounts a tmpfs of `sizeMiB` (default 8) on a fresh directory under the temp dir. Unmount it in a
 * `finally` (or `onTestFinished`): a test that forgets leaves a mount behind.
 */
export function mountSmallTmpfs(sizeMiB = 8): SmallTmpfs {
  const path = mkdtempSync(join(tmpdir(), 'faultline-tmpfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m,mode=0700`, 'faultline-test', path]);
  let mounted = true;
  return {
    path,
    free() {
      const s = statfsSync(path);
      return s.bavail * s.bsize;
    },
    fill(name = 'filler') {
      const file = join(path, name);
      fillUntilFull(file);
      return file;
    },
    unmount() {
      if (!mounted) return;
      mounted = false;
      execFileSync('umount', ['-l', path]);
      rmSync(path, { recursive: true, force: true });
    },
  };
}

/** Appends to `file` until ENOSPC, with ever smaller writes so that not even one byte is left. */
export function fillUntilFull(file: string): void {
  const fd = openSync(file, 'a', 0o600);
  try {
    for (const size of [1 << 20, 1 << 16, 4096, 512, 1]) {
      const chunk = Buffer.alloc(size, 0x61);
      for (;;) {
        let n = 0;
        try {
          n = writeSync(fd, chunk);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
        }
        if (n < size) break;
      }
    }
  } finally {
    closeSync(fd);
  }
}
