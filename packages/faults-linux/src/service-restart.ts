import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Capability, defineFault, durationSchema, FaultlineError, parseDuration } from '@faultline/core';
import * as v from 'valibot';
import { type CommandResult, run } from './exec.js';
import { infraResponsive } from './health/infra-responsive.js';

/** A systemd unit name (`nginx`, `nginx.service`, `getty@tty1.service`): no spaces, quotes or slashes. */
const unitSchema = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z0-9][A-Za-z0-9:_.@\\-]{0,254}$/, 'a unit name is made of A-Z a-z 0-9 : _ . @ - \\'),
);

const tunables = v.strictObject({
  services: v.pipe(v.array(unitSchema), v.minLength(1)),
  /** `serial` restarts one after the other (with `gap` between), `parallel` all at once. */
  mode: v.optional(v.picklist(['serial', 'parallel']), 'serial'),
  /** Pause between two serial restarts. */
  gap: v.optional(durationSchema(), '0ms'),
});

/** The services restarted, and how. */
export type RestartReceipt = { services: string[]; restarted: string[] };

/** The command runner, replaceable in tests that only check the argv. */
export type Runner = (file: string, args: readonly string[]) => Promise<CommandResult>;

/** systemd only when it is PID 1: elsewhere `systemctl` talks to nothing (or to the wrong manager). */
export function systemdCapability(comm1 = readPid1()): Capability {
  if (comm1 === 'systemd') return { available: true };
  return {
    available: false,
    reason: `PID 1 is '${comm1 ?? 'unknown'}', not systemd: there is no service manager to restart units through`,
    fix: 'run on a host booted with systemd, or use linux/process-kill with the service supervisor restarting it',
  };
}

function readPid1(): string | undefined {
  try {
    return readFileSync('/proc/1/comm', 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Restarts the services as the tunables say; returns the ones restarted. Exposed for argv tests. */
export async function restartServices(
  t: v.InferOutput<typeof tunables>,
  exec: Runner,
  signal?: AbortSignal,
): Promise<string[]> {
  const restart = async (s: string) => {
    const r = await exec('systemctl', ['restart', '--', s]);
    if (r.exitCode !== 0) throw new FaultlineError('FL_INJECT', `systemctl restart ${s} failed: ${r.stderr}`);
    return s;
  };
  if (t.mode === 'parallel') return Promise.all(t.services.map(restart));
  const done: string[] = [];
  for (const [i, s] of t.services.entries()) {
    if (signal?.aborted) break;
    if (i > 0) await sleep(parseDuration(t.gap), undefined, signal ? { signal } : {}).catch(() => {});
    done.push(await restart(s));
  }
  return done;
}

/** Starts every service that is not active (what revert and an abort end with). */
export async function startInactive(services: readonly string[], exec: Runner): Promise<void> {
  for (const s of services) {
    const active = await exec('systemctl', ['is-active', '--quiet', '--', s]);
    if (active.exitCode === 0) continue;
    const r = await exec('systemctl', ['start', '--', s]);
    if (r.exitCode !== 0) throw new FaultlineError('FL_REVERT', `systemctl start ${s} failed: ${r.stderr}`);
  }
}

/**
 * `linux/service-restart`: restarts systemd units, serially or in parallel. Revert (and an abort in
 * the middle) ends with a `systemctl start` of every unit that is not active.
 */
export const serviceRestart = defineFault<typeof tunables, RestartReceipt>({
  kind: 'linux/service-restart',
  summary: 'Restarts systemd services, serially or in parallel; revert starts any that stayed down',
  tunables,
  check: async () => systemdCapability(),
  async inject(ctx) {
    const cap = systemdCapability();
    if (!cap.available)
      throw new FaultlineError('FL_CAPABILITY', `linux/service-restart: ${cap.reason}. ${cap.fix}`);
    const restarted = await restartServices(
      ctx.tunables,
      (f, a) => run(f, a, { signal: ctx.signal }),
      ctx.signal,
    );
    return { services: ctx.tunables.services, restarted };
  },
  async revert(receipt, ctx) {
    if (!systemdCapability().available) return; // nothing could have been restarted here
    await startInactive(receipt?.services ?? ctx.tunables.services, (f, a) =>
      run(f, a, { signal: ctx.signal }),
    );
  },
  manual(receipt, ctx) {
    return (receipt?.services ?? ctx.tunables.services).map((s) => `systemctl start -- ${s}`).join('\n');
  },
  healthCheck: () => infraResponsive(),
});
