import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { defineFault, FaultlineError, type RevertContext } from '@faultline/core';
import * as v from 'valibot';
import { findTargets, type ProcessRef, refuseProtected, signalIfSame, stateOf } from './host/proc.js';
import { oneTargetCheck, targetTunables } from './host/tunables.js';

const tunables = v.pipe(v.strictObject({ ...targetTunables }), oneTargetCheck());

/** The processes process-pause stopped (pid + start time). */
export type PauseReceipt = { targets: ProcessRef[] };

/** Where inject records its targets BEFORE stopping them: a receipt-less revert and scanLeftovers read it. */
export function pauseRecordPath(stateDir: string, objectName: string): string {
  return join(stateDir, 'paused', `${objectName}.json`);
}

function recorded(ctx: RevertContext<unknown>): ProcessRef[] {
  try {
    return (JSON.parse(readFileSync(pauseRecordPath(ctx.stateDir, ctx.objectName), 'utf8')) as PauseReceipt)
      .targets;
  } catch {
    return []; // no record: inject never reached SIGSTOP
  }
}

const isStopped = (p: ProcessRef) => {
  const s = stateOf(p);
  return s === 'T' || s === 't';
};

/**
 * `linux/process-pause`: SIGSTOP to the targets, SIGCONT on revert. Revert always sends SIGCONT,
 * even when a stop seems over: a SIGTERM sent to a stopped process waits until SIGCONT, so a process
 * left stopped could never even be terminated. Pids are checked against their start time first.
 */
export const processPause = defineFault<typeof tunables, PauseReceipt>({
  kind: 'linux/process-pause',
  summary: 'Pauses processes (SIGSTOP) by pid, name or command-line pattern; revert resumes them (SIGCONT)',
  tunables,
  async check() {
    return { available: true, reason: 'signals need the same user as the target, or root' };
  },
  async inject(ctx) {
    const t = ctx.tunables;
    refuseProtected(t, 'linux/process-pause');
    const targets = findTargets(t);
    if (targets.length === 0)
      throw new FaultlineError('FL_INJECT', 'linux/process-pause: no process matches the targets');
    // the record comes first: if this process dies between two SIGSTOPs, a fresh one still resumes them
    mkdirSync(join(ctx.stateDir, 'paused'), { recursive: true });
    writeFileSync(pauseRecordPath(ctx.stateDir, ctx.objectName), JSON.stringify({ targets }));
    const stopped = targets.filter((p) => signalIfSame(p, 'SIGSTOP'));
    // a stop takes effect when the target next runs: wait for state T so the receipt tells the truth
    for (let i = 0; i < 100 && !stopped.every((p) => isStopped(p) || stateOf(p) === undefined); i++)
      await sleep(10);
    ctx.log.info(`stopped ${stopped.length} process(es)`, { pids: stopped.map((p) => p.pid) });
    return { targets };
  },
  async revert(receipt, ctx) {
    const targets = receipt?.targets ?? recorded(ctx);
    for (const p of targets) signalIfSame(p, 'SIGCONT');
    rmSync(pauseRecordPath(ctx.stateDir, ctx.objectName), { force: true });
  },
  async present(receipt, ctx) {
    return (receipt?.targets ?? recorded(ctx)).some(isStopped);
  },
  manual(receipt, ctx) {
    const targets = receipt?.targets ?? recorded(ctx);
    if (targets.length === 0)
      return `# ${ctx.objectName} recorded no paused process; resume any stopped one with: kill -CONT <pid>`;
    return [
      `# resume what ${ctx.objectName} paused (check the start time, field 22 of /proc/PID/stat, first)`,
      ...targets.map((p) => `kill -CONT ${p.pid}   # ${p.comm}, start time ${p.startTime}`),
    ].join('\n');
  },
  healthCheck: (t) =>
    t.names?.[0] !== undefined
      ? { name: 'process-alive', kind: 'probe/process-alive', tunables: { name: t.names[0] }, mode: 'Edge' }
      : t.pids?.[0] !== undefined
        ? { name: 'process-alive', kind: 'probe/process-alive', tunables: { pid: t.pids[0] }, mode: 'Edge' }
        : { name: 'infra-responsive', kind: 'probe/infra-responsive', tunables: {}, mode: 'Edge' },
});
