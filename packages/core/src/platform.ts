import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * What core needs from the machine, behind one small interface so tests can replace it
 * (a simulated reboot is a different `bootId`).
 */
export interface Platform {
  /** This boot's id (/proc/sys/kernel/random/boot_id). */
  bootId(): string;
  /** This process's pid. */
  readonly pid: number;
  /** A process's start time (/proc/PID/stat field 22), or undefined when no such process exists. */
  processStart(pid: number): string | undefined;
}

/**
 * Reads field 22 (start time) of /proc/PID/stat. The comm field may contain `) `, so everything up
 * to the last `) ` is skipped; field 3 (state) is then index 0 and field 22 index 19.
 */
export function readProcStat(pid: number): { state: string; startTime: string } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const rest = text.slice(text.lastIndexOf(') ') + 2).split(' ');
  const state = rest[0];
  const startTime = rest[19];
  return state && startTime ? { state, startTime } : undefined;
}

let cachedBootId: string | undefined;

/** The Node/Linux platform. On a system without /proc, the boot id is 'unknown' and liveness uses signal 0. */
export const nodePlatform: Platform = {
  bootId() {
    if (cachedBootId === undefined) {
      try {
        cachedBootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
      } catch {
        cachedBootId = 'unknown';
      }
    }
    return cachedBootId;
  },
  get pid() {
    return process.pid;
  },
  processStart(pid) {
    const stat = readProcStat(pid);
    if (stat) return stat.state === 'Z' ? undefined : stat.startTime;
    try {
      process.kill(pid, 0);
      return 'unknown';
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'EPERM' ? 'unknown' : undefined;
    }
  },
};

/** A platform that reports another boot id: what a test uses to simulate a reboot. */
export function withBootId(bootId: string, base: Platform = nodePlatform): Platform {
  return {
    bootId: () => bootId,
    get pid() {
      return base.pid;
    },
    processStart: (pid) => base.processStart(pid),
  };
}

/**
 * The state directory: `$FAULTLINE_STATE_DIR`, else `/var/lib/faultline` as root, else
 * `$XDG_STATE_HOME/faultline` (default `~/.local/state/faultline`).
 */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FAULTLINE_STATE_DIR) return env.FAULTLINE_STATE_DIR;
  if (typeof process.getuid === 'function' && process.getuid() === 0) return '/var/lib/faultline';
  return join(env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'faultline');
}
