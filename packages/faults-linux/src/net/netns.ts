import { existsSync, readlinkSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { FaultlineError } from '@faultline/core';
import { type CommandResult, run } from '../exec.js';

/** Every device faultline makes starts with this (IFNAMSIZ leaves 6 more characters). */
export const DEVICE_PREFIX = 'faultline';

/** Options every network helper takes: the namespace to run in, and the abort signal. */
export interface NsOptions {
  namespace?: string | undefined;
  signal?: AbortSignal | undefined;
}

/** Runs a command in the namespace (or here), argv only. */
export function nsRun(
  file: string,
  args: readonly string[],
  opts: NsOptions & { input?: string } = {},
): Promise<CommandResult> {
  return run(file, args, {
    ...(opts.namespace ? { netns: opts.namespace } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.input === undefined ? {} : { input: opts.input }),
  });
}

/** Does this named network namespace exist? (`ip netns exec` into a missing one fails late and vaguely.) */
export async function namespaceExists(name: string): Promise<boolean> {
  // what `ip netns list` reads (iproute2's NETNS_RUN_DIR), without a process per revert
  return existsSync(`/var/run/netns/${name}`);
}

/**
 * True when a named namespace no longer exists: deleting it took every table, qdisc and device in it
 * along, so there is nothing left to revert there. False for no namespace (this one always exists).
 */
export async function namespaceGone(name: string | undefined): Promise<boolean> {
  return name !== undefined && !(await namespaceExists(name));
}

/**
 * The inode that identifies a network namespace: a named one's (`/run/netns/NAME`), or this
 * process's own when no name is given. Two processes share a namespace when their inodes match.
 */
export function netnsInode(namespace: string | undefined): string | undefined {
  try {
    return namespace === undefined
      ? readlinkSync('/proc/self/ns/net').replace(/\D/g, '')
      : String(statSync(`/run/netns/${namespace}`).ino);
  } catch {
    return undefined;
  }
}

/** The network namespace inode of a process (undefined once it is gone). */
export function processNetnsInode(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/net`).replace(/\D/g, '');
  } catch {
    return undefined;
  }
}

/** Throws FL_INJECT when a named namespace is missing. */
export async function requireNamespace(name: string | undefined): Promise<void> {
  if (name !== undefined && !(await namespaceExists(name))) {
    throw new FaultlineError(
      'FL_INJECT',
      `network namespace '${name}' does not exist (ip netns list): create it or fix the 'namespace' tunable`,
    );
  }
}

/** An interface as `ip -j -d link show` reports it. */
export interface LinkInfo {
  name: string;
  kind?: string;
  /** `ip link set ... alias`: faultline's devices carry their injection's object name. */
  alias?: string;
}

/** Interfaces in the namespace (`ip -j -d link show`). */
export async function listInterfaces(opts: NsOptions = {}): Promise<LinkInfo[]> {
  const r = await nsRun('ip', ['-j', '-d', 'link', 'show'], opts);
  if (r.exitCode !== 0)
    throw new FaultlineError('FL_INJECT', `could not list interfaces (${r.command}): ${r.stderr}`);
  const links = JSON.parse(r.stdout || '[]') as {
    ifname: string;
    ifalias?: string;
    linkinfo?: { info_kind?: string };
  }[];
  return links.map((l) => ({
    name: l.ifname,
    ...(l.linkinfo?.info_kind ? { kind: l.linkinfo.info_kind } : {}),
    ...(l.ifalias ? { alias: l.ifalias } : {}),
  }));
}

/** Does this device exist in the namespace? */
export async function linkExists(name: string, opts: NsOptions = {}): Promise<boolean> {
  return (await nsRun('ip', ['link', 'show', 'dev', name], opts)).exitCode === 0;
}

/**
 * The interfaces a fault acts on: the ones asked for (each must exist), else every interface but
 * `lo` and faultline's own devices. Recorded in the receipt, so revert needs no second guess.
 */
export async function targetInterfaces(
  asked: readonly string[] | undefined,
  opts: NsOptions = {},
): Promise<string[]> {
  return pickInterfaces(asked, await listInterfaces(opts), opts.namespace);
}

/** {@link targetInterfaces} over a listing already made. */
export function pickInterfaces(
  asked: readonly string[] | undefined,
  all: readonly { name: string }[],
  namespace: string | undefined,
): string[] {
  const where = namespace ? `namespace '${namespace}'` : 'this namespace';
  if (asked && asked.length > 0) {
    const names = new Set(all.map((l) => l.name));
    const missing = asked.filter((a) => !names.has(a));
    if (missing.length) {
      throw new FaultlineError(
        'FL_INJECT',
        `no interface ${missing.join(', ')} in ${where} (it has ${[...names].join(', ')}): fix 'interfaces'`,
        { details: { missing, namespace: namespace ?? null } },
      );
    }
    return [...new Set(asked)];
  }
  const found = all.filter((l) => l.name !== 'lo' && !l.name.startsWith(DEVICE_PREFIX)).map((l) => l.name);
  if (found.length === 0)
    throw new FaultlineError('FL_INJECT', `no interface but lo in ${where}: name one in 'interfaces'`);
  return found;
}

/**
 * Resolves host names inside the namespace (`getent ahosts`, so /etc/netns/<ns>/hosts applies).
 * IP literals pass through. A name that does not resolve is an error: a fault aimed at nothing would
 * look like a resilient service.
 */
export async function resolveHosts(
  hosts: readonly string[],
  opts: NsOptions = {},
): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const h of hosts) {
    if (isIP(h)) {
      out[h] = [h];
      continue;
    }
    const r = await nsRun('getent', ['ahosts', h], opts);
    const ips = [
      ...new Set(
        r.stdout
          .split('\n')
          .map((l) => l.split(/\s+/)[0] ?? '')
          .filter((ip) => isIP(ip) !== 0),
      ),
    ];
    if (r.exitCode !== 0 || ips.length === 0) {
      throw new FaultlineError(
        'FL_INJECT',
        `destination host '${h}' does not resolve${opts.namespace ? ` in namespace '${opts.namespace}'` : ''}: fix the name or use destinationIps`,
      );
    }
    out[h] = ips;
  }
  return out;
}
