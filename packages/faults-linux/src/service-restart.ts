import { setTimeout as sleep } from 'node:timers/promises';
import { defineFault, durationSchema, FaultlineError, parseDuration } from '@faultline/core';
import * as v from 'valibot';
import { infraResponsive } from './health/infra-responsive.js';
import {
  type ManagerRef,
  managerAlive,
  type Runner,
  readPid1,
  resolveManager,
  serviceManagerCapability,
  systemctlLine,
  systemctlRunner,
} from './host/systemd.js';

export type { Runner } from './host/systemd.js';

/** A systemd unit name (`nginx`, `nginx.service`, `getty@tty1.service`): no spaces, quotes or slashes. */
const unitSchema = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z0-9][A-Za-z0-9:_.@\\-]{0,254}$/, 'a unit name is made of A-Z a-z 0-9 : _ . @ - \\'),
);

const tunables = v.strictObject({
  services: v.pipe(v.array(unitSchema), v.minLength(1), v.maxLength(64)),
  /** `serial` restarts one after the other (with `gap` between) and stops at the first failure, `parallel` all at once. */
  mode: v.optional(v.picklist(['serial', 'parallel']), 'serial'),
  /** Pause between two serial restarts. */
  gap: v.optional(durationSchema(), '0ms'),
  /**
   * The host pid of a systemd that is not PID 1 here — a container's init — whose units to restart:
   * systemctl then runs in its namespaces (nsenter). Default: this namespace's PID 1.
   */
  managerPid: v.optional(v.pipe(v.number(), v.integer(), v.minValue(2), v.maxValue(4_194_304))),
});

type Tunables = v.InferOutput<typeof tunables>;

/**
 * The units restarted, and how: their main PID before and after (0 when a unit has none), and the
 * service manager when it is not PID 1 here (pid + start time: a container that rebooted since is not
 * entered again). Receipts from before `manager` read as PID 1.
 */
export type RestartReceipt = {
  services: string[];
  restarted: string[];
  manager?: ManagerRef | null;
  mainPids?: Record<string, [before: number, after: number]>;
};

/** What a restart did to one unit. */
export type Restarted = { unit: string; before: number; after: number };

/** systemd is reachable: PID 1 here, or (with `managerPid`) a container's init. What check() answers. */
export const systemdCapability = serviceManagerCapability;

const mainPid = async (exec: Runner, unit: string) =>
  Number((await exec('systemctl', ['show', '-p', 'MainPID', '--value', '--', unit])).stdout.trim()) || 0;

/** Why a unit did not restart, in systemd's words: its state, result and the last journal lines. */
async function whyFailed(exec: Runner, unit: string, stderr: string, where: string): Promise<string> {
  const show = await exec('systemctl', ['show', '-p', 'ActiveState,SubState,Result', '--', unit]);
  const state = Object.fromEntries(show.stdout.split('\n').map((l) => l.split('=', 2) as [string, string]));
  // systemd refuses a unit's start past StartLimitBurst starts within StartLimitIntervalSec (5 in 10 s)
  const limit =
    state.Result === 'start-limit-hit'
      ? `; systemd refused it after too many starts in a short time (the unit's StartLimitBurst): restart less often (gap, interval) or run systemctl reset-failed ${unit}`
      : '';
  return (
    `systemctl restart ${unit}${where} failed: ${stderr.trim() || 'no message'}; the unit is now ` +
    `${state.ActiveState ?? '?'}/${state.SubState ?? '?'} (result ${state.Result ?? '?'})${limit}: see systemctl status ${unit} and journalctl -u ${unit}`
  );
}

/**
 * Restarts the units as the tunables say and returns what each restart did. Serial restarts stop at
 * the first failure (a rolling restart does not go on past a unit that did not come back); parallel
 * ones all run to the end. Any failure is FL_INJECT naming each unit, its state and where to look.
 */
export async function restartServices(
  t: Pick<Tunables, 'services' | 'mode' | 'gap'>,
  exec: Runner,
  signal?: AbortSignal,
  where = '',
): Promise<Restarted[]> {
  const restart = async (unit: string): Promise<Restarted> => {
    const before = await mainPid(exec, unit);
    const r = await exec('systemctl', ['restart', '--', unit]);
    if (r.exitCode !== 0) throw new FaultlineError('FL_INJECT', await whyFailed(exec, unit, r.stderr, where));
    return { unit, before, after: await mainPid(exec, unit) };
  };
  if (t.mode === 'parallel') {
    const settled = await Promise.allSettled(t.services.map(restart));
    const failed = settled.flatMap((s) => (s.status === 'rejected' ? [(s.reason as Error).message] : []));
    if (failed.length) {
      throw new FaultlineError(
        'FL_INJECT',
        `linux/service-restart: ${failed.length} of ${t.services.length} restarts failed: ${failed.map((m) => m.replace(/^FL_INJECT: /, '')).join(' | ')}`,
      );
    }
    return settled.map((s) => (s as PromiseFulfilledResult<Restarted>).value);
  }
  const done: Restarted[] = [];
  for (const [i, unit] of t.services.entries()) {
    if (signal?.aborted) break;
    if (i > 0) await sleep(parseDuration(t.gap), undefined, signal ? { signal } : {}).catch(() => {});
    try {
      done.push(await restart(unit));
    } catch (e) {
      const ok = done.length ? ` (restarted before it: ${done.map((d) => d.unit).join(', ')})` : '';
      throw new FaultlineError(
        'FL_INJECT',
        `linux/service-restart: ${(e as Error).message.replace(/^FL_INJECT: /, '')}; serial mode stops here${ok}`,
        { cause: e },
      );
    }
  }
  return done;
}

/** Starts every unit that is not active (what revert and an abort end with). */
export async function startInactive(services: readonly string[], exec: Runner, where = ''): Promise<void> {
  for (const s of services) {
    const active = await exec('systemctl', ['is-active', '--quiet', '--', s]);
    if (active.exitCode === 0) continue;
    const r = await exec('systemctl', ['start', '--', s]);
    if (r.exitCode !== 0)
      throw new FaultlineError('FL_REVERT', `systemctl start ${s}${where} failed: ${r.stderr.trim()}`);
  }
}

const whereOf = (m: ManagerRef | null | undefined) =>
  m ? ` (in the systemd at host pid ${m.pid}, hostname '${m.hostname}')` : '';

/**
 * `linux/service-restart`: restarts systemd units, serially or in parallel — of this host's PID 1, or
 * of a systemd running as a container's init (`managerPid`). A restart cannot be undone: revert (and
 * an abort in the middle) ends with a `systemctl start` of every named unit that is not active, so a
 * unit that did not come back is started again; units that run are left as they are.
 */
export const serviceRestart = defineFault<typeof tunables, RestartReceipt>({
  kind: 'linux/service-restart',
  summary: 'Restarts systemd services, serially or in parallel; revert starts any that stayed down',
  tunables,
  check: (ctx) => systemdCapability(ctx.tunables?.managerPid),
  async inject(ctx) {
    const manager = await resolveManager(ctx.tunables.managerPid);
    const done = await restartServices(
      ctx.tunables,
      systemctlRunner(manager, ctx.signal),
      ctx.signal,
      whereOf(manager),
    );
    ctx.log.info(`restarted ${done.map((d) => `${d.unit} (main pid ${d.before} → ${d.after})`).join(', ')}`);
    return {
      services: ctx.tunables.services,
      restarted: done.map((d) => d.unit),
      manager,
      mainPids: Object.fromEntries(done.map((d) => [d.unit, [d.before, d.after]])),
    };
  },
  async revert(receipt, ctx) {
    // no receipt (died mid-inject): the manager the tunables name, if it still is one
    let manager: ManagerRef | null | undefined = receipt?.manager;
    if (manager === undefined && ctx.tunables.managerPid !== undefined) {
      try {
        manager = await resolveManager(ctx.tunables.managerPid);
      } catch {
        manager = undefined;
      }
      if (manager === undefined) {
        ctx.log.warn(`no systemd at host pid ${ctx.tunables.managerPid} any more: nothing to start`);
        return;
      }
    }
    const m = manager ?? null;
    if (!managerAlive(m)) {
      // a container that stopped or rebooted started its units itself; PID 1 not systemd: nothing ran
      if (m) ctx.log.warn(`the systemd at host pid ${m.pid} is gone (stopped or rebooted): nothing to start`);
      return;
    }
    await startInactive(
      receipt?.services ?? ctx.tunables.services,
      systemctlRunner(m, ctx.signal),
      whereOf(m),
    );
  },
  manual(receipt, ctx) {
    const pid = ctx.tunables.managerPid;
    // no receipt: the manager the tunables named (check that it is still the container's systemd)
    const m =
      receipt?.manager ??
      (pid === undefined ? null : { pid, startTime: '?', comm: 'systemd', hostname: '?' });
    const lines = (receipt?.services ?? ctx.tunables.services).map((s) =>
      systemctlLine(m, ['start', '--', s]),
    );
    if (m)
      lines.unshift(
        `# the systemd of container '${m.hostname}' (host pid ${m.pid}, start time ${m.startTime})`,
      );
    else if (readPid1() !== 'systemd')
      lines.unshift('# PID 1 was not systemd here: nothing can have been restarted');
    return lines.join('\n');
  },
  healthCheck: () => infraResponsive(),
});
