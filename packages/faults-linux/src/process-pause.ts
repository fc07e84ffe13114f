import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineFault, FaultlineError, type RevertContext } from '@faultline/core';
import * as v from 'valibot';
import {
  addOrigins,
  type FreezeGroup,
  freeze,
  freezerRoot,
  isFrozen,
  planFreeze,
  thaw,
} from './host/freezer.js';
import { isStopped, listed, pauseInRounds, resumeOrder, stopRound } from './host/pause-tree.js';
import { type ProcessRef, signalIfSame } from './host/proc.js';
import { selectTargets } from './host/targets.js';
import { oneTargetCheck, targetHealthCheck, targetTunables } from './host/tunables.js';

const tunables = v.pipe(
  v.strictObject({
    ...targetTunables,
    /** `signal`: SIGSTOP/SIGCONT. `freezer`: a cgroup freezer (the target cannot tell, and cannot catch it). */
    method: v.optional(v.picklist(['signal', 'freezer']), 'signal'),
    /**
     * Pause every process below the targets too (default): a service's work is often done by its
     * children (workers, backends, a pipeline), and a parent paused alone leaves them serving.
     * `false` pauses the targets only: the children go on.
     */
    tree: v.optional(v.boolean(), true),
  }),
  oneTargetCheck(),
);

/**
 * What process-pause paused (pid + start time each), and how. Receipts written before trees existed
 * have only `targets`, `method` and `freezer`; they read as `tree: false`, members = targets.
 */
export type PauseReceipt = {
  /** The processes the selector chose. */
  targets: ProcessRef[];
  method: 'signal' | 'freezer';
  freezer: FreezeGroup | null;
  /** Whether the targets' descendants were paused too. */
  tree?: boolean;
  /** Every process paused: the targets, then (tree) their descendants, parents first. */
  members?: ProcessRef[];
  /** Members already stopped before the pause (job control, another tool): revert leaves them stopped. */
  alreadyStopped?: ProcessRef[];
};

/** A receipt with the fields older receipts lack filled in. */
function complete(r: PauseReceipt): Required<PauseReceipt> {
  return { tree: false, members: r.targets, alreadyStopped: [], ...r };
}

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

/**
 * `linux/process-pause`: SIGSTOP (or a cgroup freezer) on the targets and, by default, every process
 * below them; revert resumes all of it, including descendants no record names. Revert always sends
 * SIGCONT, even after a freezer: a SIGTERM sent to a stopped process waits until SIGCONT, so a
 * process left stopped could never even be terminated. Pids are checked against their start time.
 */
export const processPause = defineFault<typeof tunables, PauseReceipt>({
  kind: 'linux/process-pause',
  summary:
    'Pauses processes and (by default) their descendants (SIGSTOP or cgroup freezer) by pid, name or command-line pattern; revert resumes them',
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
    const receipt: Required<PauseReceipt> = {
      targets,
      method: t.method,
      freezer: t.method === 'freezer' ? planFreeze(ctx.objectName, targets) : null,
      tree: t.tree,
      members: [],
      alreadyStopped: [],
    };
    mkdirSync(join(ctx.stateDir, 'paused'), { recursive: true });
    await pauseInRounds(targets, t.tree, {
      // the record comes first, each round: if this process dies between two stops, a fresh one
      // still resumes every process this pause touched
      onRound(members, fresh) {
        receipt.members = [...members];
        receipt.alreadyStopped.push(...fresh.filter(isStopped));
        if (receipt.freezer) addOrigins(receipt.freezer, fresh);
        writeFileSync(pauseRecordPath(ctx.stateDir, ctx.objectName), JSON.stringify(receipt));
      },
      pauseSome: (fresh) => (receipt.freezer ? freeze(receipt.freezer, fresh) : stopRound(fresh)),
    });
    ctx.log.info(
      `paused ${receipt.members.length} process(es) with ${t.method}${t.tree ? ` (${targets.length} target(s) and their descendants)` : ''}`,
      { pids: receipt.members.map((p) => p.pid) },
    );
    return receipt;
  },
  async revert(receipt, ctx) {
    const found = receipt ?? recorded(ctx);
    if (found) {
      const r = complete(found);
      const order = resumeOrder(r);
      if (r.freezer) await thaw(r.freezer, order);
      for (const p of order) signalIfSame(p, 'SIGCONT');
    }
    rmSync(pauseRecordPath(ctx.stateDir, ctx.objectName), { force: true });
  },
  async present(receipt, ctx) {
    const found = receipt ?? recorded(ctx);
    if (!found) return false;
    const r = complete(found);
    return (r.freezer !== null && isFrozen(r.freezer)) || resumeOrder(r).some(isStopped);
  },
  manual(receipt, ctx) {
    const found = receipt ?? recorded(ctx);
    if (!found)
      return `# ${ctx.objectName} recorded no paused process; resume any stopped one with: kill -CONT <pid>`;
    const r = complete(found);
    const lines = [
      `# resume what ${ctx.objectName} paused (check the start time, field 22 of /proc/PID/stat, first)`,
    ];
    if (r.freezer) {
      const f = r.freezer;
      lines.push(
        f.version === 'v1' ? `echo THAWED > ${f.dir}/freezer.state` : `echo 0 > ${f.dir}/cgroup.freeze`,
      );
      for (const p of r.members)
        lines.push(`echo ${p.pid} > ${join(f.root, f.origins[p.pid] ?? '/')}/cgroup.procs`);
      lines.push(`# and any other pid still in ${f.dir}/cgroup.procs: echo PID > ${f.root}/cgroup.procs`);
      lines.push(`rmdir ${f.dir}`);
    }
    // children first, as revert does
    for (const p of [...r.members].reverse().filter((m) => !listed(r.alreadyStopped, m)))
      lines.push(`kill -CONT ${p.pid}   # ${p.comm}, start time ${p.startTime}`);
    if (r.tree)
      lines.push(
        `# and every process still stopped below ${r.targets.map((p) => p.pid).join(', ')}: ps -o pid=,stat= --ppid PID`,
      );
    return lines.join('\n');
  },
  healthCheck: targetHealthCheck,
});
