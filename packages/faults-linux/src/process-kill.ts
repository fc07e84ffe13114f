import { setTimeout as sleep } from 'node:timers/promises';
import { defineFault, FaultlineError } from '@faultline/core';
import * as v from 'valibot';
import { isSameProcess, type ProcessRef, signalIfSame } from './host/proc.js';
import { describeSelector, selectTargets } from './host/targets.js';
import { oneTargetCheck, SIGNALS, targetHealthCheck, targetTunables } from './host/tunables.js';

const tunables = v.pipe(
  v.strictObject({
    ...targetTunables,
    /** The signal to send (default SIGTERM). */
    signal: v.optional(v.picklist(SIGNALS), 'SIGTERM'),
    /** Shorthand for signal SIGKILL. */
    force: v.optional(v.boolean(), false),
  }),
  oneTargetCheck(),
);

/** What process-kill did: the processes it signalled, and which of them were gone 1 s later. */
export type KillReceipt = { signal: string; killed: ProcessRef[]; exited: number[] };

/**
 * `linux/process-kill`: sends a signal to the processes named by pid, name (comm) or a pattern on the
 * command line. There is nothing to undo: revert is a no-op and says so; restarting is the job of the
 * target's supervisor, which is what this fault tests. Never targets PID 1, faultline itself or its
 * sentinels and resolvers; a selector matching more than `maxTargets` processes is refused.
 */
export const processKill = defineFault<typeof tunables, KillReceipt>({
  kind: 'linux/process-kill',
  summary: 'Kills processes by pid, name or command-line pattern (again at each interval)',
  tunables,
  async check() {
    return { available: true, reason: 'signals need the same user as the target, or root' };
  },
  async inject(ctx) {
    const t = ctx.tunables;
    const signal = t.force ? 'SIGKILL' : t.signal;
    const targets = await selectTargets(t, { kind: 'linux/process-kill', stateDir: ctx.stateDir });
    if (targets.length === 0) {
      const what = describeSelector(t);
      // a rhythmic kill may run before the supervisor respawned: only the first injection insists
      if (ctx.iteration === 0)
        throw new FaultlineError('FL_INJECT', `linux/process-kill: no process matches ${what}`);
      ctx.log.warn(`no process matches ${what} at this interval`);
      return { signal, killed: [], exited: [] };
    }
    const killed = targets.filter((p) => signalIfSame(p, signal));
    ctx.log.info(`sent ${signal} to ${killed.length} process(es)`, { pids: killed.map((p) => p.pid) });
    for (let i = 0; i < 50 && killed.some(isSameProcess); i++) await sleep(20);
    return { signal, killed, exited: killed.filter((p) => !isSameProcess(p)).map((p) => p.pid) };
  },
  // honest no-op: a killed process cannot be un-killed; its supervisor restarts it (or not: the finding)
  async revert() {},
  manual(receipt, ctx) {
    const who = receipt?.killed.map((p) => `${p.comm}(${p.pid})`).join(', ') || 'no process';
    return `# nothing to revert: ${ctx.objectName} sent ${receipt?.signal ?? 'a signal'} to ${who}.\n# Restart the service through its supervisor if it did not come back, e.g. systemctl start <unit>`;
  },
  healthCheck: targetHealthCheck,
});
