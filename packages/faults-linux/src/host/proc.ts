import { readdirSync, readFileSync } from 'node:fs';
import { FaultlineError } from '@faultline/core';
import { readProcStat } from '@faultline/core/internal';
import type { TargetSelector } from './tunables.js';

/** A process as a receipt names it: pid and start time (/proc/PID/stat field 22), so a recycled pid is never signalled. */
export type ProcessRef = {
  pid: number;
  startTime: string;
  /** The command name when it was chosen (for messages and manual text). */
  comm: string;
};

/** Every pid in /proc right now. */
export function listPids(): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number);
}

/** /proc/PID/comm without the newline, or undefined when the process is gone. */
export function readComm(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').replace(/\n$/, '');
  } catch {
    return undefined;
  }
}

/** The command line joined with spaces (NULs in /proc/PID/cmdline), or undefined when gone. */
export function readCmdline(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+$/, '').replace(/\0/g, ' ');
  } catch {
    return undefined;
  }
}

/** The parent pid (field 4 of /proc/PID/stat), or undefined. */
export function parentPid(pid: number): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number(text.slice(text.lastIndexOf(') ') + 2).split(' ')[1]);
    return Number.isInteger(ppid) ? ppid : undefined;
  } catch {
    return undefined;
  }
}

/** A process's ref now, or undefined when it does not exist (or is a zombie). */
export function refOf(pid: number): ProcessRef | undefined {
  const stat = readProcStat(pid);
  if (!stat || stat.state === 'Z' || stat.state === 'X') return undefined;
  return { pid, startTime: stat.startTime, comm: readComm(pid) ?? '?' };
}

/** True when `ref` still names the same living process (same pid, same start time). */
export function isSameProcess(ref: { pid: number; startTime: string }): boolean {
  const stat = readProcStat(ref.pid);
  return stat !== undefined && stat.startTime === ref.startTime && stat.state !== 'Z' && stat.state !== 'X';
}

/** The state letter of a process (`R`, `S`, `T`, `D`, ...) when `ref` still names it. */
export function stateOf(ref: { pid: number; startTime: string }): string | undefined {
  const stat = readProcStat(ref.pid);
  return stat && stat.startTime === ref.startTime ? stat.state : undefined;
}

/**
 * Sends a signal only if `ref` still names the same process: the start time is compared right before
 * the signal, so a pid the kernel recycled since the receipt was written is never hit.
 * Returns false when the process is gone (or was recycled).
 */
export function signalIfSame(ref: { pid: number; startTime: string }, signal: NodeJS.Signals): boolean {
  if (!isSameProcess(ref)) return false;
  try {
    process.kill(ref.pid, signal);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw e;
  }
}

/** This process and its ancestors: never a target of a process fault (killing them kills faultline). */
export function protectedPids(): Set<number> {
  const out = new Set<number>([0, 1, process.pid]);
  let pid: number | undefined = process.ppid;
  for (let i = 0; pid !== undefined && pid > 1 && i < 64; i++) {
    out.add(pid);
    pid = parentPid(pid);
  }
  return out;
}

/**
 * Resolves a selector to living processes, without faultline itself, its ancestors, PID 1 or kernel
 * threads. `names` match /proc/PID/comm exactly; `pattern` is a regular expression on the command line.
 */
export function findTargets(sel: TargetSelector): ProcessRef[] {
  const guard = protectedPids();
  const re = sel.pattern === undefined ? undefined : new RegExp(sel.pattern);
  const names = sel.names ? new Set(sel.names) : undefined;
  const candidates = sel.pids ?? listPids();
  const out: ProcessRef[] = [];
  for (const pid of candidates) {
    if (guard.has(pid)) continue;
    const ref = refOf(pid);
    if (!ref) continue;
    const cmdline = readCmdline(pid);
    if (!cmdline) continue; // kernel threads have an empty command line: never a target
    if (names && !names.has(ref.comm)) continue;
    if (re && !re.test(cmdline)) continue;
    out.push(ref);
  }
  return out;
}

/** Throws FL_TUNABLES when a selector names faultline itself or PID 1 (a pid list can do that). */
export function refuseProtected(sel: TargetSelector, kind: string): void {
  const guard = protectedPids();
  const bad = (sel.pids ?? []).filter((p) => guard.has(p));
  if (bad.length) {
    throw new FaultlineError(
      'FL_TUNABLES',
      `${kind} refuses pid(s) ${bad.join(', ')}: PID 1, faultline itself and its ancestors are never targets`,
    );
  }
}
