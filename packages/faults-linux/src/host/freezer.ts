import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FaultlineError } from '@faultline/core';
import { assertOwnGroupDir, type CgroupLayout, detectLayout } from './cgroup.js';
import { isSameProcess, type ProcessRef } from './proc.js';
import { ancestry } from './tree.js';

/** Where a frozen target came from, to put it back: its hierarchy root and cgroup path there. */
export type FreezeGroup = {
  dir: string;
  root: string;
  version: 'v1' | 'v2';
  origins: Record<string, string>;
};

/**
 * The freezer to use: the v1 freezer hierarchy when there is one (moving a process there changes
 * nothing but its freezer group), else v2 `cgroup.freeze` (the move changes its v2 accounting until
 * revert puts it back).
 */
export function freezerRoot(
  layout: CgroupLayout = detectLayout(),
): { root: string; version: 'v1' | 'v2' } | undefined {
  if (layout.v1.freezer) return { root: layout.v1.freezer, version: 'v1' };
  if (layout.v2) return { root: layout.v2, version: 'v2' };
  return undefined;
}

/** The cgroup path of a process in a hierarchy (from /proc/PID/cgroup). */
function cgroupOf(pid: number, version: 'v1' | 'v2'): string | undefined {
  try {
    for (const line of readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n')) {
      const [, ctrls, path] = line.split(':');
      if (version === 'v2' ? ctrls === '' && line.startsWith('0::') : ctrls?.split(',').includes('freezer'))
        return path;
    }
  } catch {
    // gone
  }
  return undefined;
}

/** Plans a freeze: the group dir and where each target is now. Written to the record before acting. */
export function planFreeze(name: string, targets: readonly ProcessRef[]): FreezeGroup {
  const f = freezerRoot();
  if (!f)
    throw new FaultlineError(
      'FL_CAPABILITY',
      'linux/process-pause method freezer needs a cgroup freezer (v1 freezer or cgroup2)',
    );
  const g: FreezeGroup = { dir: join(f.root, name), root: f.root, version: f.version, origins: {} };
  addOrigins(g, targets);
  return g;
}

/** Records where each new member is now (before it moves): revert puts it back there. */
export function addOrigins(g: FreezeGroup, members: readonly ProcessRef[]): void {
  for (const m of members) g.origins[m.pid] ??= cgroupOf(m.pid, g.version) ?? '/';
}

/** Is the group frozen right now? */
export function isFrozen(g: FreezeGroup): boolean {
  try {
    if (g.version === 'v1') return readFileSync(join(g.dir, 'freezer.state'), 'utf8').trim() !== 'THAWED';
    return /^frozen 1$/m.test(readFileSync(join(g.dir, 'cgroup.events'), 'utf8'));
  } catch {
    return false;
  }
}

/**
 * Moves processes into the group and freezes it; waits until the kernel says frozen. Called again for
 * each round of a tree: a process moved into a frozen group freezes on arrival.
 */
export async function freeze(g: FreezeGroup, members: readonly ProcessRef[]): Promise<void> {
  assertOwnGroupDir(g.dir);
  if (!existsSync(g.dir)) mkdirSync(g.dir);
  for (const t of members) if (isSameProcess(t)) writeQuiet(join(g.dir, 'cgroup.procs'), String(t.pid));
  if (g.version === 'v1') writeFileSync(join(g.dir, 'freezer.state'), 'FROZEN');
  else writeFileSync(join(g.dir, 'cgroup.freeze'), '1');
  for (let i = 0; i < 100; i++) {
    if (
      g.version === 'v1'
        ? readFileSync(join(g.dir, 'freezer.state'), 'utf8').trim() === 'FROZEN'
        : isFrozen(g)
    )
      return;
    await sleep(10);
  }
}

/**
 * Thaws, puts every member (same start time) back where it was, removes the group. Idempotent.
 * A process in the group that no record names (forked by a member, or moved in by a round the record
 * did not reach) goes where its nearest recorded ancestor came from. Never kills: the group holds
 * only the user's processes, and they must come back alive.
 */
export async function thaw(g: FreezeGroup, members: readonly ProcessRef[]): Promise<void> {
  assertOwnGroupDir(g.dir);
  if (!existsSync(g.dir)) return;
  try {
    if (g.version === 'v1') writeFileSync(join(g.dir, 'freezer.state'), 'THAWED');
    else writeFileSync(join(g.dir, 'cgroup.freeze'), '0');
  } catch {
    // removed meanwhile
  }
  for (const t of members) if (isSameProcess(t)) moveTo(g, g.origins[t.pid] ?? '/', t.pid);
  for (let i = 0; i < 50; i++) {
    for (const p of readProcs(g.dir)) {
      const ancestor = ancestry(p).find((a) => g.origins[a] !== undefined);
      moveTo(g, ancestor === undefined ? '/' : g.origins[ancestor]!, p);
    }
    try {
      rmdirSync(g.dir);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      await sleep(20);
    }
  }
  throw new FaultlineError('FL_REVERT', `cannot remove freezer cgroup ${g.dir}: still busy`);
}

/** Moves a process to `origin` under the group's hierarchy; where the origin is gone or refuses (a v2 inner node), to the root. */
function moveTo(g: FreezeGroup, origin: string, pid: number): void {
  const dir = join(g.root, origin);
  try {
    writeFileSync(join(existsSync(dir) ? dir : g.root, 'cgroup.procs'), String(pid));
  } catch {
    writeQuiet(join(g.root, 'cgroup.procs'), String(pid)); // the root never refuses; a gone process is fine
  }
}

function writeQuiet(file: string, value: string): void {
  try {
    writeFileSync(file, value);
  } catch {
    // the process exited meanwhile
  }
}

function readProcs(dir: string): number[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
