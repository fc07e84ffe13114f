import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { defineFault, FaultlineError, type RevertContext } from '@faultline/core';
import * as v from 'valibot';
import { type FreezeGroup, freeze, freezerRoot, isFrozen, planFreeze, thaw } from './host/freezer.js';
import { type ProcessRef, signalIfSame, stateOf } from './host/proc.js';
import { selectTargets } from './host/targets.js';
import { oneTargetCheck, targetHealthCheck, targetTunables } from './host/tunables.js';

const tunables = v.pipe(
  v.strictObject({
    ...targetTunables,
    /** `signal`: SIGSTOP/SIGCONT. `freezer`: a cgroup freezer (the target cannot tell, and cannot catch it). */
    method: v.optional(v.picklist(['signal', 'freezer']), 'signal'),
  }),
  oneTargetCheck(),
);

/** The processes process-pause stopped (pid + start time), and the freezer group when it used one. */
export type PauseReceipt = {
  targets: ProcessRef[];
  method: 'signal' | 'freezer';
  freezer: FreezeGroup | null;
};

/** Where inject records its receipt BEFORE stopping anything: a receipt-less revert and scanLeftovers read it. */
export function pauseRecordPath(stateDir: string, objectName: string): string {
  return join(stateDir, 'paused', `${objectName}.json`);
}

function recorded(ctx: RevertContext<unknown>): PauseReceipt | undefined {
  try {
    return JSON.parse(readFileSync(pauseRecordPath(ctx.stateDir, ctx.objectName), 'utf8')) as PauseReceipt;
  } catch {
    return undefined; // no record: inject never reached a stop
  }
}

const isStopped = (p: ProcessRef) => {
  const s = stateOf(p);
  return s === 'T' || s === 't';
};

/**
 * `linux/process-pause`: SIGSTOP (or a cgroup freezer) on the targets; revert resumes them. Revert
 * always sends SIGCONT, even after a freezer: a SIGTERM sent to a stopped process waits until SIGCONT,
 * so a process left stopped could never even be terminated. Pids are checked against their start time.
 */
export const processPause = defineFault<typeof tunables, PauseReceipt>({
  kind: 'linux/process-pause',
  summary:
    'Pauses processes (SIGSTOP or cgroup freezer) by pid, name or command-line pattern; revert resumes them',
  tunables,
  async check(ctx) {
    if (ctx.tunables?.method === 'freezer' && !freezerRoot()) {
      return {
        available: false,
        reason: 'no cgroup freezer (v1 freezer or cgroup2) is mounted',
        fix: "use method 'signal'",
      };
    }
    return { available: true, reason: 'signals need the same user as the target, or root' };
  },
  async inject(ctx) {
    const t = ctx.tunables;
    // which processes (selection) is decided apart from how they are paused (below)
    const targets = await selectTargets(t, { kind: 'linux/process-pause', stateDir: ctx.stateDir });
    if (targets.length === 0)
      throw new FaultlineError('FL_INJECT', 'linux/process-pause: no process matches the targets');
    const receipt: PauseReceipt = {
      targets,
      method: t.method,
      freezer: t.method === 'freezer' ? planFreeze(ctx.objectName, targets) : null,
    };
    // the record comes first: if this process dies between two stops, a fresh one still resumes them
    mkdirSync(join(ctx.stateDir, 'paused'), { recursive: true });
    writeFileSync(pauseRecordPath(ctx.stateDir, ctx.objectName), JSON.stringify(receipt));
    if (receipt.freezer) {
      await freeze(receipt.freezer, targets);
    } else {
      const stopped = targets.filter((p) => signalIfSame(p, 'SIGSTOP'));
      // a stop takes effect when the target next runs: wait for state T so the receipt tells the truth
      for (let i = 0; i < 100 && !stopped.every((p) => isStopped(p) || stateOf(p) === undefined); i++)
        await sleep(10);
    }
    ctx.log.info(`paused ${targets.length} process(es) with ${t.method}`, {
      pids: targets.map((p) => p.pid),
    });
    return receipt;
  },
  async revert(receipt, ctx) {
    const r = receipt ?? recorded(ctx);
    if (r?.freezer) await thaw(r.freezer, r.targets);
    for (const p of r?.targets ?? []) signalIfSame(p, 'SIGCONT');
    rmSync(pauseRecordPath(ctx.stateDir, ctx.objectName), { force: true });
  },
  async present(receipt, ctx) {
    const r = receipt ?? recorded(ctx);
    return r !== undefined && ((r.freezer !== null && isFrozen(r.freezer)) || r.targets.some(isStopped));
  },
  manual(receipt, ctx) {
    const r = receipt ?? recorded(ctx);
    if (!r)
      return `# ${ctx.objectName} recorded no paused process; resume any stopped one with: kill -CONT <pid>`;
    const lines = [
      `# resume what ${ctx.objectName} paused (check the start time, field 22 of /proc/PID/stat, first)`,
    ];
    if (r.freezer) {
      const f = r.freezer;
      lines.push(
        f.version === 'v1' ? `echo THAWED > ${f.dir}/freezer.state` : `echo 0 > ${f.dir}/cgroup.freeze`,
      );
      for (const p of r.targets)
        lines.push(`echo ${p.pid} > ${join(f.root, f.origins[p.pid] ?? '/')}/cgroup.procs`);
      lines.push(`rmdir ${f.dir}`);
    }
    for (const p of r.targets) lines.push(`kill -CONT ${p.pid}   # ${p.comm}, start time ${p.startTime}`);
    return lines.join('\n');
  },
  healthCheck: targetHealthCheck,
});
