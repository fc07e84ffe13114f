import { readdirSync, readFileSync } from 'node:fs';
import { readProcStat } from '@faultline/core/internal';

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
