// The Node default for giving the runtime's main thread real-time scheduling during a run. Kept out
// of the runtime module so core's runtime never imports child_process; loaded only when asked for.
import { execFile } from 'node:child_process';

/** Raises this process's main thread to SCHED_FIFO and lowers it back. */
export interface PriorityControl {
  raise(): Promise<{ applied: boolean; reason?: string }>;
  lower(): Promise<void>;
}

function chrt(args: string[]): Promise<{ ok: boolean; err: string }> {
  return new Promise((resolve) =>
    execFile('chrt', args, { timeout: 5000 }, (e, _out, stderr) =>
      resolve({ ok: !e, err: String(stderr || e?.message || '').trim() }),
    ),
  );
}

/**
 * `chrt -f -p <priority> <pid>` while a run is active, `chrt -o -p 0 <pid>` after: probes and
 * reverts are then scheduled on time even while a CPU stress saturates every core (with autogroups,
 * nice cannot outrank a stressor in another session). Needs root or CAP_SYS_NICE.
 */
export function chrtPriority(priority = 10, pid = process.pid): PriorityControl {
  return {
    async raise() {
      const r = await chrt(['-f', '-p', String(priority), String(pid)]);
      return r.ok ? { applied: true } : { applied: false, reason: r.err || 'chrt failed' };
    },
    async lower() {
      await chrt(['-o', '-p', '0', String(pid)]);
    },
  };
}
