import { realpathSync } from 'node:fs';
import { normalize } from 'node:path';
import { type Capability, FaultlineError } from '@faultline/core';
import * as v from 'valibot';
import type { EntriesOutput } from '../entries.js';

/** Fill and disk-io files may always go under these; `allowedRoots` adds more. */
export const DEFAULT_ROOTS: readonly string[] = ['/tmp', '/var/tmp'];

// Virtual or system trees: never a root, whatever a spec says.
const FORBIDDEN = [
  '/proc',
  '/sys',
  '/dev',
  '/boot',
  '/etc',
  '/usr',
  '/bin',
  '/sbin',
  '/lib',
  '/lib64',
  '/run',
];

/** An absolute path of plain characters, no `..` segment: nothing a shell or a traversal could use. */
export const absPathSchema = v.pipe(
  v.string(),
  v.maxLength(1024),
  v.regex(/^\/[A-Za-z0-9._@+/-]*$/, 'a path is absolute and made of A-Z a-z 0-9 . _ @ + - / only'),
  v.check((p) => !p.split('/').includes('..'), 'a path may not contain a .. segment'),
);

/** An extra allowed root: absolute, not `/`, not a system tree. */
export const rootSchema = v.pipe(
  absPathSchema,
  v.check(
    (p) => !isForbidden(normalize(p)),
    (i) => `${String(i.input)} cannot be an allowed root (/, /proc, /sys, /dev, /etc, /usr ... never are)`,
  ),
);

function isForbidden(p: string): boolean {
  const q = p.replace(/\/+$/, '') || '/';
  return q === '/' || FORBIDDEN.some((f) => q === f || q.startsWith(`${f}/`));
}

/** True when `path` equals `root` or lies below it (both normalised, no trailing slash games). */
export function isInside(path: string, root: string): boolean {
  const p = normalize(path).replace(/\/+$/, '') || '/';
  const r = normalize(root).replace(/\/+$/, '') || '/';
  return p === r || p.startsWith(`${r}/`);
}

/** The roots in effect: the defaults plus the given ones. */
export function effectiveRoots(extra: readonly string[] = []): string[] {
  return [...new Set([...DEFAULT_ROOTS, ...extra])];
}

/** The lexical check a schema can do: the path is under one of the roots. */
export function lexicallyAllowed(path: string, extra: readonly string[] = []): boolean {
  return effectiveRoots(extra).some((r) => isInside(path, r));
}

/**
 * Resolves symlinks and checks again, before anything is written: the path and every root are
 * realpath'd first, and a path or a root that resolves into a system tree is refused — a root
 * `/tmp/x` that is a symlink to /etc must not make /etc writable. Returns the real directory.
 * Throws FL_TUNABLES.
 */
export function resolveAllowedDir(path: string, extra: readonly string[] = []): string {
  let real: string;
  try {
    real = realpathSync(path);
  } catch (e) {
    throw new FaultlineError('FL_TUNABLES', `path ${path} does not exist: create the directory first`, {
      cause: e,
    });
  }
  const roots: string[] = [];
  for (const r of effectiveRoots(extra)) {
    const realRoot = realOrUndefined(r);
    if (realRoot === undefined) continue; // a root that does not exist allows nothing
    if (isForbidden(realRoot)) {
      throw new FaultlineError(
        'FL_TUNABLES',
        `allowed root ${r} resolves to ${realRoot}, a system tree faultline never writes into; name a real directory under /tmp, /var/tmp or your data disk`,
      );
    }
    roots.push(realRoot);
  }
  if (isForbidden(real) || !roots.some((r) => isInside(real, r))) {
    throw new FaultlineError(
      'FL_TUNABLES',
      `path ${path} resolves to ${real}, outside the allowed roots (${effectiveRoots(extra).join(', ')}); add a root with allowedRoots`,
    );
  }
  return real;
}

function realOrUndefined(p: string): string | undefined {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
}

/** The path and allowedRoots tunables every file fault shares, and the cross-field check. */
export const pathTunables = {
  path: absPathSchema,
  allowedRoots: v.optional(v.array(rootSchema), []),
};

/** The parsed {@link pathTunables}. */
export type PathTunables = EntriesOutput<typeof pathTunables>;

/** Pipe step: `path` must be under /tmp, /var/tmp or one of `allowedRoots`. */
export function pathAllowedCheck<T extends PathTunables>() {
  return v.check<T, (i: v.CheckIssue<T>) => string>(
    (t) => lexicallyAllowed(t.path, t.allowedRoots),
    (i) =>
      `path ${i.input.path} is outside the allowed roots (${effectiveRoots(i.input.allowedRoots).join(', ')}); add a root with allowedRoots`,
  );
}

/**
 * `check()` of the faults that write under a path: available when the path resolves inside the
 * allowed roots (with no tunables, in general).
 */
export async function pathCapability(tunables: PathTunables | undefined): Promise<Capability> {
  if (!tunables) return { available: true };
  try {
    resolveAllowedDir(tunables.path, tunables.allowedRoots);
    return { available: true };
  } catch (e) {
    return {
      available: false,
      reason: (e as Error).message,
      fix: 'create the directory, or name one under the allowed roots',
    };
  }
}
