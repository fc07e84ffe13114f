import { randomBytes } from 'node:crypto';
import { lstatSync, statSync, unlinkSync } from 'node:fs';
import { open, statfs } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import {
  FaultlineError,
  type InjectContext,
  OBJECT_PREFIX,
  parsePercent,
  parseSize,
  percentSchema,
  type RevertContext,
  sizeSchema,
} from '@faultline/core';
import { JOURNAL_RESERVE_BYTES } from '@faultline/core/internal';
import * as v from 'valibot';
import type { EntriesOutput } from '../entries.js';
import { run } from '../exec.js';
import { infraResponsive } from '../health/infra-responsive.js';
import { type PathTunables, pathAllowedCheck, pathTunables, resolveAllowedDir } from './paths.js';
import { exactlyOneSize } from './tunables.js';

/** A file a fill fault wrote: its path and inode (revert deletes that file, not a look-alike). */
export type FillFile = { path: string; ino: string };

/** The receipt of disk-fill and fs-fill. */
export type FillReceipt = { files: FillFile[]; bytes: number; method: 'fallocate' | 'write' };

/** Bytes an unprivileged writer can still use on the filesystem of `dir`. */
export async function freeBytes(dir: string): Promise<number> {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
}

/** Size and used bytes of the filesystem of `dir`. */
export async function fsUsage(dir: string): Promise<{ total: number; used: number; free: number }> {
  const s = await statfs(dir);
  return { total: s.blocks * s.bsize, used: (s.blocks - s.bfree) * s.bsize, free: s.bavail * s.bsize };
}

/**
 * Refuses (FL_CAPABILITY, before a byte is written) when writing `bytes` would leave less than
 * `floor` free: a fill must stress the application, not take the host down.
 */
export async function checkFloor(kind: string, dir: string, bytes: number, floor: number): Promise<void> {
  const free = await freeBytes(dir);
  if (free - bytes < floor) {
    const mib = (n: number) => `${Math.floor(n / 1048576)} MiB`;
    throw new FaultlineError(
      'FL_CAPABILITY',
      `${kind}: writing ${mib(bytes)} to ${dir} would leave ${mib(Math.max(0, free - bytes))} free, below the safety floor of ${mib(floor)}; ask for less or lower safetyFloor`,
      { details: { free, bytes, floor } },
    );
  }
}

/**
 * What a fill always leaves free on the filesystem of faultline's state dir, whatever `safetyFloor`
 * says: twice the journal's reserve, what the journal needs free to make its reserve whole again
 * after using it (and room for run logs). The fill is trimmed to it, with a warning.
 */
export const STATE_FS_HEADROOM = 2 * JOURNAL_RESERVE_BYTES;

/**
 * The most a fill in `dir` may write when `dir` is on the filesystem of the state dir (same device);
 * undefined when it is elsewhere, or the state dir does not exist.
 */
export async function stateDirRoom(dir: string, stateDir: string): Promise<number | undefined> {
  const state = statSync(stateDir, { throwIfNoEntry: false });
  if (!state || state.dev !== statSync(dir).dev) return undefined;
  return Math.max(0, (await freeBytes(dir)) - STATE_FS_HEADROOM);
}

/** The one file name a fill fault uses: derived from the injection, so a receipt-less revert finds it. */
export function fillPath(dir: string, objectName: string): string {
  return join(dir, `${objectName}.fill`);
}

/**
 * Writes `bytes` into a new file (never an existing one: `wx`). `fallocate` reserves the blocks at
 * once; `write` writes real data block by block (page cache, writeback, the write path), with the
 * abort signal checked between blocks. Falls back to `write` where fallocate is not supported.
 */
export async function fillFile(
  file: string,
  bytes: number,
  opts: { blockSize: number; method: 'fallocate' | 'write'; signal: AbortSignal },
): Promise<FillReceipt> {
  const fh = await open(file, 'wx', 0o600);
  let method = opts.method;
  try {
    if (method === 'fallocate') {
      const r = await run('fallocate', ['-l', String(bytes), file], { signal: opts.signal });
      if (r.exitCode !== 0) method = 'write';
    }
    if (method === 'write') {
      // random once, reused: compressing or deduplicating filesystems still store every block
      const block = randomBytes(Math.min(opts.blockSize, Math.max(1, bytes)));
      for (let done = 0; done < bytes; ) {
        if (opts.signal.aborted) throw new FaultlineError('FL_ABORTED', `aborted while filling ${file}`);
        const n = Math.min(block.length, bytes - done);
        await fh.write(block, 0, n, done);
        done += n;
      }
      await fh.sync();
    }
    const st = await fh.stat({ bigint: true });
    return { files: [{ path: file, ino: String(st.ino) }], bytes, method };
  } finally {
    await fh.close();
  }
}

/** The files a revert may delete: the receipt's, or by name from the tunables when there is none. */
export function fillTargets(receipt: FillReceipt | undefined, ctx: RevertContext<PathTunables>): FillFile[] {
  if (receipt) return receipt.files.filter((f) => basename(f.path).startsWith(OBJECT_PREFIX));
  try {
    return [
      {
        path: fillPath(resolveAllowedDir(ctx.tunables.path, ctx.tunables.allowedRoots), ctx.objectName),
        ino: '',
      },
    ];
  } catch {
    return []; // the directory is gone: so is the file
  }
}

function currentIno(path: string): string | undefined {
  try {
    const st = lstatSync(path, { bigint: true });
    return st.isFile() ? String(st.ino) : undefined;
  } catch {
    return undefined;
  }
}

/** Is one of the fill files still there (same inode when the receipt knows it)? */
export function fillPresent(files: FillFile[]): boolean {
  return files.some((f) => {
    const ino = currentIno(f.path);
    return ino !== undefined && (f.ino === '' || f.ino === ino);
  });
}

/** Deletes exactly the fault's own files. Idempotent. */
export function removeFill(files: FillFile[]): void {
  for (const f of files) {
    const ino = currentIno(f.path);
    if (ino === undefined || (f.ino !== '' && f.ino !== ino)) continue; // gone, or not the file we wrote
    // unlink, not rm: on a file rm turns an EPERM (immutable, read-only mount) into a misleading
    // "ENOTDIR ... scandir" while it guesses at a directory, and that is what a person would read
    try {
      unlinkSync(f.path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
}

/** The commands a person runs. */
export function fillManual(files: FillFile[], objectName: string): string {
  if (files.length === 0)
    return `# nothing to delete: no fill file of ${objectName} is known (look for ${objectName}.fill under the fault's path)`;
  return [
    `# delete the fill file(s) of ${objectName}`,
    ...files.map((f) => `rm -f ${f.path}`),
    `df -h ${dirname(files[0]!.path)}`,
  ].join('\n');
}

/** A fill's block size is between 512 bytes and 64 MiB. */
function blockSizeInRange<T extends { blockSize: string | number }>() {
  return v.check<T, string>(
    (t) => parseSize(t.blockSize) >= 512 && parseSize(t.blockSize) <= 64 * 1024 * 1024,
    'blockSize must be between 512 bytes and 64MiB',
  );
}

/**
 * The tunables every fill fault takes: a directory under the allowed roots, exactly one of `size`
 * (bytes to write) or `percent` (each fault says what its percent means), the write block and the
 * free space it must leave. A fault adds its own entries and passes its object to {@link withFillChecks}.
 */
export const fillEntries = {
  /** The directory the fill file goes into (under /tmp, /var/tmp or allowedRoots). */
  ...pathTunables,
  /** Bytes to write (`'10GiB'`). */
  size: v.optional(sizeSchema()),
  /** Or a percent of the filesystem (disk-fill: a share of its size to add; fs-fill: the usage to reach). */
  percent: v.optional(percentSchema()),
  /** Each write() call writes this much real data (the `write` method, and fallocate's fallback). */
  blockSize: v.optional(sizeSchema(), '4MiB'),
  /** Refuse to leave less than this free. */
  safetyFloor: v.optional(sizeSchema(), '1GiB'),
};

/** The parsed {@link fillEntries}. */
type FillTunables = EntriesOutput<typeof fillEntries>;

/** A fill's schema: its object, then the checks every fill makes (path, one of size/percent, block size). */
export function withFillChecks<S extends v.GenericSchema<unknown, FillTunables>>(object: S) {
  type T = v.InferOutput<S>;
  return v.pipe(object, pathAllowedCheck<T>(), exactlyOneSize<T>(), blockSizeInRange<T>());
}

/** What a fill fault makes of its `percent` (0-100), given the filesystem it writes to. */
export type PercentBytes = (percent: number, usage: { total: number; used: number }, dir: string) => number;

/**
 * The inject both fill faults share: one file named after the injection, under the path resolved
 * inside the allowed roots, of `size` bytes or of what the fault makes of its `percent` — refused,
 * before a byte is written, when it would leave less free than the safety floor, and trimmed so that
 * the filesystem of the state dir keeps {@link STATE_FS_HEADROOM} free.
 */
export async function injectFill(
  kind: string,
  ctx: InjectContext<FillTunables>,
  opts: { method: 'fallocate' | 'write'; percentBytes: PercentBytes },
): Promise<FillReceipt> {
  const t = ctx.tunables;
  const dir = resolveAllowedDir(t.path, t.allowedRoots);
  let bytes =
    t.size !== undefined
      ? parseSize(t.size)
      : opts.percentBytes(parsePercent(t.percent!), await fsUsage(dir), dir);
  await checkFloor(kind, dir, bytes, parseSize(t.safetyFloor));
  const room = await stateDirRoom(dir, ctx.stateDir);
  if (room !== undefined && bytes > room) {
    if (room === 0) {
      throw new FaultlineError(
        'FL_CAPABILITY',
        `${kind}: ${dir} is on the filesystem of faultline's state dir (${ctx.stateDir}), which has no more than the ${STATE_FS_HEADROOM} bytes faultline keeps free there to record reverts; fill another filesystem, or move the state dir (FAULTLINE_STATE_DIR)`,
      );
    }
    ctx.log.warn(
      `${kind}: ${dir} is on the filesystem of faultline's state dir (${ctx.stateDir}): writing ${room} bytes instead of ${bytes}, so that ${STATE_FS_HEADROOM} bytes stay free to record reverts (whatever safetyFloor says)`,
    );
    bytes = room;
  }
  const receipt = await fillFile(fillPath(dir, ctx.objectName), bytes, {
    blockSize: parseSize(t.blockSize),
    method: opts.method,
    signal: ctx.signal,
  });
  ctx.log.info(`filled ${bytes} bytes in ${dir}`, { method: receipt.method });
  return receipt;
}

/**
 * The undo side both fill faults share: delete exactly the fill file (the receipt's, or the one
 * named after the injection), say whether it is still there, the commands a person runs, and the
 * health check (the runtime itself stays responsive).
 */
export const fillUndo = {
  revert: async (receipt: FillReceipt | undefined, ctx: RevertContext<PathTunables>) =>
    removeFill(fillTargets(receipt, ctx)),
  present: async (receipt: FillReceipt | undefined, ctx: RevertContext<PathTunables>) =>
    fillPresent(fillTargets(receipt, ctx)),
  manual: (receipt: FillReceipt | undefined, ctx: RevertContext<PathTunables>) =>
    fillManual(fillTargets(receipt, ctx), ctx.objectName),
  healthCheck: () => infraResponsive(),
};
