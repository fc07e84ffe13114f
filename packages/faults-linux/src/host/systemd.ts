// How linux/service-restart reaches a service manager: this namespace's PID 1 when it is systemd (a
// host booted with systemd), or a systemd that is PID 1 of another pid namespace — a container (nspawn,
// a docker or podman container running systemd) — whose namespaces systemctl is run in with nsenter.
import { readFileSync } from 'node:fs';
import { type Capability, FaultlineError } from '@faultline/core';
import { type CommandResult, quoteArg, run } from '../exec.js';
import { isSameProcess, listPids, type ProcessRef, readComm, refOf } from './proc.js';

/** The command runner, replaceable in tests that only check the argv. */
export type Runner = (file: string, args: readonly string[]) => Promise<CommandResult>;

/** A systemd that is not PID 1 here, named as a receipt names a process (pid + start time). */
export type ManagerRef = ProcessRef & { hostname: string };

/** PID 1 of this namespace, by its comm. */
export function readPid1(): string | undefined {
  return readComm(1);
}

/** True when `pid` is PID 1 of its own pid namespace (the last NSpid of /proc/PID/status is 1). */
function isNamespaceInit(pid: number): boolean {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^NSpid:\s+(.*)$/m)?.[1];
    const ids = line?.trim().split(/\s+/) ?? [];
    return ids.length > 1 && ids[ids.length - 1] === '1';
  } catch {
    return false;
  }
}

/**
 * The container's host name, from its UTS namespace (nspawn and docker set it there; /etc/hostname
 * in its root need not exist): `hostname` run with only that namespace entered.
 */
async function hostnameOf(pid: number): Promise<string> {
  const r = await run('nsenter', ['--target', String(pid), '--uts', '--', 'hostname'], { timeoutMs: 5000 });
  return (r.exitCode === 0 && r.stdout.trim()) || '?';
}

/** Every systemd on this host that is PID 1 of a pid namespace other than this one (containers). */
export async function findServiceManagers(): Promise<ManagerRef[]> {
  const out: ManagerRef[] = [];
  for (const pid of listPids()) {
    if (pid === 1 || readComm(pid) !== 'systemd' || !isNamespaceInit(pid)) continue;
    const ref = refOf(pid);
    if (ref) out.push({ ...ref, hostname: await hostnameOf(pid) });
  }
  return out;
}

/** Why a pid given as `managerPid` cannot be used, or undefined when it can. */
function unusable(pid: number): string | undefined {
  if (readComm(pid) === undefined) return `there is no process ${pid}`;
  if (readComm(pid) !== 'systemd') return `process ${pid} is '${readComm(pid)}', not systemd`;
  if (!isNamespaceInit(pid))
    return `process ${pid} is a systemd but not PID 1 of a pid namespace (a user manager?): give the pid of a container's init`;
  return undefined;
}

const listManagers = (found: ManagerRef[]) =>
  found.map((m) => `host pid ${m.pid} (hostname '${m.hostname}')`).join(', ');

/**
 * Can units be restarted here? With `managerPid`: is that a systemd running as a container's init.
 * Without: is PID 1 systemd — and when it is not, which systemd containers there are, and how to
 * reach one (what doctor() shows).
 */
export async function serviceManagerCapability(
  managerPid?: number,
  pid1 = readPid1(),
  found: () => Promise<ManagerRef[]> = findServiceManagers,
): Promise<Capability> {
  if (managerPid !== undefined) {
    const why = unusable(managerPid);
    if (why) return { available: false, reason: why, fix: managerHint(await found()) };
    return {
      available: true,
      reason: `units of the systemd at host pid ${managerPid} (hostname '${await hostnameOf(managerPid)}'), through nsenter into its namespaces`,
    };
  }
  if (pid1 === 'systemd') return { available: true };
  const managers = await found();
  return {
    available: false,
    reason: `PID 1 is '${pid1 ?? 'unknown'}', not systemd: no service manager runs this namespace${
      managers.length ? `; systemd runs as PID 1 of a container here: ${listManagers(managers)}` : ''
    }`,
    fix: managerHint(managers),
  };
}

function managerHint(managers: ManagerRef[]): string {
  const example = managers[0] ? `managerPid: ${managers[0].pid}` : 'managerPid: <pid>';
  return (
    `to restart units of a systemd that is not PID 1 here (a container), give its host pid as the tunable ${example} ` +
    '(`machinectl show -p Leader NAME`, `docker inspect -f {{.State.Pid}} NAME`; commands then run in its namespaces with nsenter), ' +
    'or run faultline inside that container or host; without a service manager, use linux/process-kill and let the supervisor restart the process'
  );
}

/** Resolves `managerPid` to a ref for the receipt; throws FL_CAPABILITY when it is no systemd container init. */
export async function resolveManager(managerPid: number | undefined): Promise<ManagerRef | null> {
  if (managerPid === undefined) {
    const cap = await serviceManagerCapability();
    if (!cap.available)
      throw new FaultlineError('FL_CAPABILITY', `linux/service-restart: ${cap.reason}. ${cap.fix}`);
    return null;
  }
  const why = unusable(managerPid);
  const ref = why ? undefined : refOf(managerPid);
  if (!ref)
    throw new FaultlineError(
      'FL_CAPABILITY',
      `linux/service-restart: managerPid ${managerPid}: ${why ?? 'gone'}. ${managerHint(await findServiceManagers())}`,
    );
  return { ...ref, hostname: await hostnameOf(managerPid) };
}

/** Is the service manager of a receipt still the same process (a container may have stopped or rebooted)? */
export function managerAlive(m: ManagerRef | null): boolean {
  return m === null ? readPid1() === 'systemd' : isSameProcess(m);
}

/** The argv that runs systemctl against the manager: plain, or inside the container's namespaces. */
export function systemctlArgv(m: ManagerRef | null, args: readonly string[]): [string, string[]] {
  return m === null
    ? ['systemctl', [...args]]
    : ['nsenter', ['--target', String(m.pid), '--all', '--', 'systemctl', ...args]];
}

/** A runner of systemctl against the manager. */
export function systemctlRunner(m: ManagerRef | null, signal?: AbortSignal): Runner {
  return (_file, args) => {
    const [file, argv] = systemctlArgv(m, args);
    return run(file, argv, signal ? { signal } : {});
  };
}

/** One systemctl command line as a person would type it (manual text). */
export function systemctlLine(m: ManagerRef | null, args: readonly string[]): string {
  const [file, argv] = systemctlArgv(m, args);
  return [file, ...argv].map(quoteArg).join(' ');
}
