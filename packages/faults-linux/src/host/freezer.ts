import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FaultlineError } from '@faultline/core';
import { assertOwnGroupDir, type CgroupLayout, detectLayout } from './cgroup.js';
import { isSameProcess, type ProcessRef } from './proc.js';

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
  const origins: Record<string, string> = {};
  for (const t of targets) origins[t.pid] = cgroupOf(t.pid, f.version) ?? '/';
  return { dir: join(f.root, name), root: f.root, version: f.version, origins };
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

/** Moves the targets into the group and freezes it; waits until the kernel says frozen. */
export async function freeze(g: FreezeGroup, targets: readonly ProcessRef[]): Promise<void> {
  assertOwnGroupDir(g.dir);
  if (!existsSync(g.dir)) mkdirSync(g.dir);
  for (const t of targets) if (isSameProcess(t)) writeFileSync(join(g.dir, 'cgroup.procs'), String(t.pid));
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
 * Thaws, puts every target (same start time) back where it was, removes the group. Idempotent.
 * Never kills: the group holds only our targets, and they must come back alive.
 */
export async function thaw(g: FreezeGroup, targets: readonly ProcessRef[]): Promise<void> {
  assertOwnGroupDir(g.dir);
  if (!existsSync(g.dir)) return;
  try {
    if (g.version === 'v1') writeFileSync(join(g.dir, 'freezer.state'), 'THAWED');
    else writeFileSync(join(g.dir, 'cgroup.freeze'), '0');
  } catch {
    // removed meanwhile
  }
  for (const t of targets) {
    if (!isSameProcess(t)) continue;
    const origin = join(g.root, g.origins[t.pid] ?? '/');
    try {
      writeFileSync(join(existsSync(origin) ? origin : g.root, 'cgroup.procs'), String(t.pid));
    } catch {
      writeFileSync(join(g.root, 'cgroup.procs'), String(t.pid)); // origin refuses (v2 internal node): the root never does
    }
  }
  // children a target forked while in the group are moved out too (never killed), then the dir goes
  for (let i = 0; i < 50; i++) {
    for (const p of readProcs(g.dir)) writeQuiet(join(g.root, 'cgroup.procs'), String(p));
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
