// SCHED_FIFO for one thread, for bench/probe-jitter.ts's worker threads. A run gets the same for
// its runtime's thread from core itself: createRuntime({ realtime: true }) (packages/core/src/priority.ts).
import { readlinkSync } from 'node:fs';
import { execa } from 'execa';

/** What {@link makeThreadRealtime} did. */
export interface PriorityChange {
  applied: boolean;
  tid: number;
  /** Why not, when not applied. */
  reason?: string;
  /** Puts the thread back to the normal policy (SCHED_OTHER). */
  restore(): Promise<void>;
}

/** The calling thread's id (/proc/thread-self → "<pid>/task/<tid>"); the main thread's is the pid. */
export function currentThreadId(): number {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').pop());
  } catch {
    return process.pid;
  }
}

/**
 * Makes one thread SCHED_FIFO (`chrt -f -p PRIO TID`), so its timers fire on time while a CPU
 * stress fault saturates every core. Opt-in and for the duration of a run: a real-time thread that
 * spins starves others (the kernel's RT throttling still leaves them 5 %). Niceness would not do:
 * with autogroups, nice only ranks threads of one session, and the stressor runs in its own.
 * Needs root or CAP_SYS_NICE; returns `applied: false` with the reason otherwise, never throws.
 * Measured in bench/probe-jitter.ts: p99 lateness of the core runner's Continuous probe under
 * `stress-ng --cpu 0` drops from ~50 ms to < 1 ms.
 */
export async function makeThreadRealtime(
  opts: { priority?: number; tid?: number } = {},
): Promise<PriorityChange> {
  const tid = opts.tid ?? currentThreadId();
  const priority = opts.priority ?? 10;
  const restore = async () => {
    await execa('chrt', ['-o', '-p', '0', String(tid)], { reject: false, timeout: 5000 });
  };
  const r = await execa('chrt', ['-f', '-p', String(priority), String(tid)], {
    reject: false,
    timeout: 5000,
  });
  if (r.exitCode === 0) return { applied: true, tid, restore };
  const why =
    r.failed && r.exitCode === undefined
      ? `chrt could not run (${r.shortMessage}); install util-linux`
      : r.stderr.trim() || `chrt exited ${r.exitCode}`;
  return { applied: false, tid, reason: why, restore: async () => {} };
}
