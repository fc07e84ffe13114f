import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import {
  type Capability,
  durationSchema,
  FaultlineError,
  type InjectContext,
  OBJECT_PREFIX,
  parseDuration,
  type RevertContext,
} from '@faultline/core';
import * as v from 'valibot';
import { run } from '../exec.js';
import { infraResponsive } from '../health/infra-responsive.js';
import {
  createGroup,
  destroyGroup,
  detectLayout,
  existingGroupDirs,
  type Group,
  type GroupOptions,
  noCgroupsFix,
} from './cgroup.js';
import { launchInGroup } from './launch.js';
import { isSameProcess } from './proc.js';

/** The receipt of every stress fault: the cgroup dirs, the stress-ng parent, and its temp dir if any. */
export type StressReceipt = {
  cgroups: string[];
  pid: number;
  startTime: string;
  command: string;
  /** A dir this fault created for stress-ng's files (disk-io), removed on revert; null otherwise. */
  tempDir: string | null;
  /** True when the kernel's CFS quota holds the CPU load (cpu-stress), false when stress-ng's duty cycle does. */
  cpuLimitEnforced: boolean;
};

/** The safety stop every stress fault takes: stress-ng ends by itself then, even if nothing reverts it. */
export const maxDurationTunable = v.optional(durationSchema(), '1h');

/** What a stress fault asks {@link startStress} for. */
export interface StressPlan {
  /** stress-ng arguments after the binary, without --timeout; told whether the kernel caps the CPU. */
  args: (group: Group) => string[];
  group: GroupOptions;
  /** Processes expected in the group once workers run (parent + workers). */
  minProcs: number;
  /** Create this dir (named after objectName) for stress-ng's temp files. */
  tempDir?: string;
  maxDuration: v.InferOutput<typeof maxDurationTunable>;
}

/**
 * Starts stress-ng inside a cgroup of its own, named after the injection. A leftover of the same
 * name (a previous attempt that died mid-inject) is removed first so the group holds only this run.
 */
export async function startStress(ctx: InjectContext<unknown>, plan: StressPlan): Promise<StressReceipt> {
  const layout = detectLayout();
  await destroyGroup(existingGroupDirs(ctx.objectName, layout), layout);
  const group = createGroup(ctx.objectName, plan.group, layout);
  const seconds = Math.max(1, Math.ceil(parseDuration(plan.maxDuration) / 1000));
  const args = ['stress-ng', ...plan.args(group), '--timeout', `${seconds}s`, '--quiet'];
  let started: Awaited<ReturnType<typeof launchInGroup>>;
  try {
    if (plan.tempDir) {
      rmSync(plan.tempDir, { recursive: true, force: true }); // our own name: a died attempt's files
      mkdirSync(plan.tempDir, { recursive: false, mode: 0o700 });
    }
    started = await launchInGroup(group.procsFiles, group.dirs, args, {
      minProcs: plan.minProcs,
      signal: ctx.signal,
    });
  } catch (e) {
    // leave nothing half-made behind, even if the runner's revert never comes
    await destroyGroup(group.dirs, layout);
    if (plan.tempDir) rmSync(plan.tempDir, { recursive: true, force: true });
    throw e;
  }
  ctx.log.info(`stress-ng started in cgroup ${ctx.objectName}`, {
    pid: started.pid,
    command: started.command,
  });
  return {
    cgroups: group.dirs,
    pid: started.pid,
    startTime: started.startTime,
    command: started.command,
    tempDir: plan.tempDir ?? null,
    cpuLimitEnforced: group.cpuLimitEnforced,
  };
}

/** The temp dir a receipt-less revert looks for: `<dir>/<objectName>` only, never anything else. */
function ownTempDir(
  receipt: StressReceipt | undefined,
  ctx: RevertContext<unknown>,
  tempRoot?: string,
): string | undefined {
  const dir = receipt ? receipt.tempDir : tempRoot ? join(tempRoot, ctx.objectName) : null;
  return dir && basename(dir) === ctx.objectName && basename(dir).startsWith(OBJECT_PREFIX) ? dir : undefined;
}

/**
 * Kills every process of the group (and nothing else), removes the group and the temp dir.
 * Idempotent; with no receipt, works from the object name alone.
 */
export async function stopStress(
  receipt: StressReceipt | undefined,
  ctx: RevertContext<unknown>,
  tempRoot?: string,
): Promise<void> {
  const layout = detectLayout();
  const dirs = receipt ? receipt.cgroups : existingGroupDirs(ctx.objectName, layout);
  await destroyGroup(dirs, layout);
  // the wrapper failed before joining (or a pure-v1 host without freezer): its own process group
  if (receipt && isSameProcess(receipt)) {
    try {
      process.kill(-receipt.pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  const dir = ownTempDir(receipt, ctx, tempRoot);
  if (dir) rmSync(dir, { recursive: true, force: true });
}

/** Is the group (or the temp dir, or the stress-ng parent) still there? */
export async function stressPresent(
  receipt: StressReceipt | undefined,
  ctx: RevertContext<unknown>,
  tempRoot?: string,
): Promise<boolean> {
  const dirs = receipt ? receipt.cgroups.filter((d) => existsSync(d)) : existingGroupDirs(ctx.objectName);
  const dir = ownTempDir(receipt, ctx, tempRoot);
  return (
    dirs.length > 0 ||
    (receipt !== undefined && isSameProcess(receipt)) ||
    (dir !== undefined && existsSync(dir))
  );
}

/** The commands a person runs: empty the cgroup, remove it, remove the temp dir. */
export function stressManual(
  receipt: StressReceipt | undefined,
  ctx: RevertContext<unknown>,
  tempRoot?: string,
): string {
  const layout = detectLayout();
  const dirs =
    receipt?.cgroups ??
    [...(layout.v2 ? [layout.v2] : []), ...Object.values(layout.v1)].map((r) => join(r, ctx.objectName));
  const v2 = dirs.find((d) => layout.v2 !== undefined && d.startsWith(`${layout.v2}/`));
  const freezer = dirs.find((d) => layout.v1.freezer !== undefined && d.startsWith(`${layout.v1.freezer}/`));
  const lines = [`# stop stress-ng of ${ctx.objectName} and remove its cgroup`];
  if (v2) lines.push(`echo 1 > ${v2}/cgroup.kill`);
  else if (freezer)
    lines.push(
      `echo FROZEN > ${freezer}/freezer.state`,
      `xargs -r kill -9 < ${freezer}/cgroup.procs`,
      `echo THAWED > ${freezer}/freezer.state`,
    );
  else lines.push(`xargs -r kill -9 < ${dirs[0]}/cgroup.procs`);
  lines.push(`rmdir ${dirs.join(' ')}`);
  const dir = ownTempDir(receipt, ctx, tempRoot);
  if (dir) lines.push(`rm -rf ${dir}`);
  return lines.join('\n');
}

/** Shared check: stress-ng installed and some cgroup hierarchy mounted. */
export async function stressCheck(signal: AbortSignal): Promise<Capability> {
  const layout = detectLayout();
  if (layout.mode === 'none') {
    return {
      available: false,
      reason: 'no cgroup hierarchy is mounted',
      fix: noCgroupsFix(),
    };
  }
  const r = await run('stress-ng', ['--version'], { signal, timeoutMs: 5000 });
  if (signal.aborted) throw new FaultlineError('FL_ABORTED', 'aborted while checking for stress-ng');
  if (r.exitCode !== 0) {
    return {
      available: false,
      reason: 'stress-ng is not installed (or not on PATH)',
      fix: 'apt-get install stress-ng (or dnf install stress-ng)',
    };
  }
  return { available: true, reason: `${r.stdout.split('\n')[0]}; cgroups: ${layout.mode}` };
}

/** Throws FL_CAPABILITY with the check's words when the host cannot run stress faults. */
export async function requireStress(kind: string, signal: AbortSignal): Promise<void> {
  if (signal.aborted) throw new FaultlineError('FL_ABORTED', `${kind}: aborted before inject`);
  const c = await stressCheck(signal);
  if (!c.available) throw new FaultlineError('FL_CAPABILITY', `${kind}: ${c.reason}. ${c.fix ?? ''}`.trim());
}

/**
 * The undo side every stress fault shares: revert, present and manual over its cgroup (and, with
 * `tempRoot`, its temp dir), and the health check (the runtime itself stays responsive).
 */
export function stressUndo<T>(tempRoot?: (tunables: T) => string | undefined) {
  const root = (ctx: RevertContext<T>) => (tempRoot ? tempRoot(ctx.tunables) : undefined);
  return {
    revert: (receipt: StressReceipt | undefined, ctx: RevertContext<T>) =>
      stopStress(receipt, ctx, root(ctx)),
    present: (receipt: StressReceipt | undefined, ctx: RevertContext<T>) =>
      stressPresent(receipt, ctx, root(ctx)),
    manual: (receipt: StressReceipt | undefined, ctx: RevertContext<T>) =>
      stressManual(receipt, ctx, root(ctx)),
    healthCheck: () => infraResponsive(),
  };
}
