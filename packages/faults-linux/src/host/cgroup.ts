import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FaultlineError, OBJECT_PREFIX } from '@faultline/core';

/** The v1 controllers a stress cgroup joins when the host has them as v1 hierarchies. */
export const V1_CONTROLLERS = ['memory', 'cpu', 'cpuacct', 'cpuset', 'freezer'] as const;
/** One of {@link V1_CONTROLLERS}. */
export type V1Controller = (typeof V1_CONTROLLERS)[number];

/**
 * Where this host mounts its cgroups. Pure v2: `v2` = /sys/fs/cgroup. Hybrid: v1 controllers plus a
 * controller-less v2 at /sys/fs/cgroup/unified (still good for cgroup.kill and cgroup.freeze). Pure v1: no `v2`.
 */
export interface CgroupLayout {
  mode: 'v2' | 'hybrid' | 'v1' | 'none';
  v2?: string;
  /** Controllers the v2 root offers (cgroup.controllers); empty on hybrid hosts. */
  v2Controllers: string[];
  /** v1 controller → its hierarchy's mount point. */
  v1: Partial<Record<V1Controller, string>>;
}

/** Reads the cgroup mounts from /proc/self/mounts (a fresh process after reboot finds the same). */
export function detectLayout(mounts = readFileSync('/proc/self/mounts', 'utf8')): CgroupLayout {
  let v2: string | undefined;
  const v1: CgroupLayout['v1'] = {};
  for (const line of mounts.split('\n')) {
    const [, mountPoint, fsType, options] = line.split(' ');
    if (!mountPoint || !options) continue;
    if (fsType === 'cgroup2') v2 ??= mountPoint;
    if (fsType !== 'cgroup') continue;
    for (const c of V1_CONTROLLERS) if (options.split(',').includes(c)) v1[c] ??= mountPoint;
  }
  const v2Controllers = v2
    ? (readText(join(v2, 'cgroup.controllers'))?.split(/\s+/).filter(Boolean) ?? [])
    : [];
  const hasV1 = Object.keys(v1).length > 0;
  const mode = v2 ? (hasV1 ? 'hybrid' : 'v2') : hasV1 ? 'v1' : 'none';
  return v2 === undefined ? { mode, v2Controllers, v1 } : { mode, v2, v2Controllers, v1 };
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Every mount point a faultline cgroup can live under. */
export function cgroupRoots(layout = detectLayout()): string[] {
  return [...new Set([...(layout.v2 ? [layout.v2] : []), ...Object.values(layout.v1)])];
}

/** The dirs named `name` that exist in any hierarchy (what a receipt-less revert cleans up). */
export function existingGroupDirs(name: string, layout = detectLayout()): string[] {
  return cgroupRoots(layout)
    .map((r) => join(r, name))
    .filter((d) => existsSync(d));
}

/**
 * Throws unless `dir` is `<a cgroup mount>/faultline_*`: a receipt read back from a journal names
 * only such dirs, and revert must never rmdir or kill anything else.
 */
export function assertOwnGroupDir(dir: string, layout = detectLayout()): void {
  if (!basename(dir).startsWith(OBJECT_PREFIX) || !cgroupRoots(layout).includes(dirname(dir))) {
    throw new FaultlineError(
      'FL_REVERT',
      `refusing to touch cgroup ${dir}: not a faultline cgroup at the root of a cgroup hierarchy`,
    );
  }
}

/** Options of {@link createGroup}. */
export interface GroupOptions {
  /** CPU bandwidth cap in CPUs (1.5 = one and a half cores), enforced by CFS quota when a cpu controller exists. */
  cpuLimit?: number;
  /** A cpuset list (`0-1,3`) for the workers. */
  cpus?: string;
  /**
   * Weigh the group like this many tasks: a cgroup competes with its siblings as ONE entity, so
   * without this, N workers under contention would get the share of a single process.
   */
  tasks?: number;
}

/** A stress fault's cgroup: one dir per hierarchy, and whether the CPU cap is the kernel's. */
export interface Group {
  dirs: string[];
  /** The `cgroup.procs` files the wrapper writes its pid to before exec. */
  procsFiles: string[];
  cpuLimitEnforced: boolean;
  /** True when a cpuset cgroup pins the workers to `cpus`. */
  cpusetEnforced: boolean;
}

const CFS_PERIOD_US = 100_000;

/**
 * Creates `name` in every hierarchy that matters (v2 if mounted; v1 memory, cpu, cpuacct, cpuset,
 * freezer), sets the CPU cap and cpuset. Directly under each root: a fresh process finds it by name.
 */
export function createGroup(name: string, opts: GroupOptions = {}, layout = detectLayout()): Group {
  const dirs: string[] = [];
  let cpuLimitEnforced = false;
  let cpusetEnforced = false;
  const make = (root: string): string => {
    const dir = join(root, name);
    assertOwnGroupDir(dir, layout);
    mkdirSync(dir, { recursive: false, mode: 0o755 }); // EEXIST is fine only via revert first: callers revert by name before
    dirs.push(dir);
    return dir;
  };
  if (layout.v2) {
    const offered = ['cpu', 'memory', 'cpuset'].filter((c) => layout.v2Controllers.includes(c));
    const wanted = offered.length ? enableControllers(layout.v2, offered) : [];
    const dir = make(layout.v2);
    if (opts.cpuLimit !== undefined && wanted.includes('cpu')) {
      writeFileSync(
        join(dir, 'cpu.max'),
        `${Math.max(1000, Math.round(opts.cpuLimit * CFS_PERIOD_US))} ${CFS_PERIOD_US}`,
      );
      cpuLimitEnforced = true;
    }
    if (opts.tasks !== undefined && wanted.includes('cpu')) {
      writeFileSync(join(dir, 'cpu.weight'), String(Math.min(10_000, 100 * opts.tasks)));
    }
    if (opts.cpus !== undefined && wanted.includes('cpuset')) {
      writeFileSync(join(dir, 'cpuset.cpus'), opts.cpus);
      cpusetEnforced = true;
    }
  }
  for (const c of V1_CONTROLLERS) {
    const root = layout.v1[c];
    if (!root || (c === 'cpuset' && opts.cpus === undefined)) continue;
    if (dirs.includes(join(root, name))) continue; // co-mounted (cpu,cpuacct): one dir
    const dir = make(root);
    if (c === 'cpuset') {
      // a v1 cpuset refuses tasks until cpus and mems are set
      writeFileSync(join(dir, 'cpuset.mems'), readText(join(root, 'cpuset.mems')) ?? '0');
      writeFileSync(join(dir, 'cpuset.cpus'), opts.cpus!);
      cpusetEnforced = true;
    }
    if (c === 'cpu' && opts.tasks !== undefined && existsSync(join(dir, 'cpu.shares'))) {
      writeFileSync(join(dir, 'cpu.shares'), String(1024 * opts.tasks));
    }
    if (c === 'cpu' && opts.cpuLimit !== undefined && existsSync(join(dir, 'cpu.cfs_quota_us'))) {
      writeFileSync(join(dir, 'cpu.cfs_period_us'), String(CFS_PERIOD_US));
      writeFileSync(
        join(dir, 'cpu.cfs_quota_us'),
        String(Math.max(1000, Math.round(opts.cpuLimit * CFS_PERIOD_US))),
      );
      cpuLimitEnforced = true;
    }
  }
  if (dirs.length === 0) {
    throw new FaultlineError(
      'FL_CAPABILITY',
      `no cgroup hierarchy is mounted: stress faults need cgroups to hold and remove their workers (${noCgroupsFix()})`,
    );
  }
  return { dirs, procsFiles: dirs.map((d) => join(d, 'cgroup.procs')), cpuLimitEnforced, cpusetEnforced };
}

/** Enables what it can in the root's subtree_control; returns the controllers children really get. */
function enableControllers(root: string, controllers: string[]): string[] {
  const enabled = () => readText(join(root, 'cgroup.subtree_control'))?.split(/\s+/) ?? [];
  for (const c of controllers.filter((x) => !enabled().includes(x))) {
    try {
      writeFileSync(join(root, 'cgroup.subtree_control'), `+${c}`);
    } catch {
      // a namespace root with processes of its own (a container) refuses: no such limit, the group still works
    }
  }
  return controllers.filter((c) => enabled().includes(c));
}

/** Pids in any of the dirs (a dir that is gone counts as empty). */
export function groupPids(dirs: readonly string[]): number[] {
  const pids = new Set<number>();
  for (const d of dirs) {
    for (const p of readText(join(d, 'cgroup.procs'))?.split('\n') ?? []) if (p) pids.add(Number(p));
  }
  return [...pids];
}

/**
 * Kills every process in the group and removes its dirs: cgroup.kill on v2 (one write empties it),
 * else freeze + SIGKILL each + thaw on a v1 freezer (no fork can slip between read and kill), else
 * SIGKILL rounds. Nothing outside the group is signalled. Idempotent: missing dirs are skipped.
 */
export async function destroyGroup(dirs: readonly string[], layout = detectLayout()): Promise<void> {
  for (const d of dirs) assertOwnGroupDir(d, layout);
  const live = dirs.filter((d) => existsSync(d));
  if (live.length === 0) return;
  const killFile = live.map((d) => join(d, 'cgroup.kill')).find((f) => existsSync(f));
  const freezer = live.find((d) => existsSync(join(d, 'freezer.state')));
  if (killFile) {
    writeQuiet(killFile, '1');
  } else if (freezer) {
    writeQuiet(join(freezer, 'freezer.state'), 'FROZEN');
    for (let i = 0; i < 50 && readText(join(freezer, 'freezer.state')) === 'FREEZING'; i++) await sleep(20);
    killAll(groupPids(live));
    writeQuiet(join(freezer, 'freezer.state'), 'THAWED');
  }
  for (let i = 0; i < 150; i++) {
    const left = groupPids(live);
    if (left.length === 0) break;
    if (i % 10 === 9) killAll(left); // a straggler (no cgroup.kill, no freezer): keep killing
    await sleep(20);
  }
  for (const d of live) await rmdirRetry(d);
}

function killAll(pids: number[]): void {
  for (const p of pids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

function writeQuiet(file: string, value: string): void {
  try {
    writeFileSync(file, value);
  } catch {
    // the dir vanished meanwhile: nothing left to do there
  }
}

async function rmdirRetry(dir: string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      rmdirSync(dir);
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      // EBUSY while the last task's exit is still being accounted
      if (i >= 100)
        throw new FaultlineError('FL_REVERT', `cannot remove cgroup ${dir}: ${code}`, { cause: e });
      await sleep(20);
    }
  }
}

/**
 * What to do when no cgroup hierarchy shows. `ip netns exec` remounts /sys for the namespace, and
 * the cgroup mounts under it disappear: the usual way to land here on a host that has cgroups.
 */
export function noCgroupsFix(): string {
  const mount = 'mount cgroup2 at /sys/fs/cgroup';
  const ns = namedNetns();
  if (ns === undefined) return mount;
  return `${mount}; inside \`ip netns exec\`, which remounts /sys without them, enter the namespace with \`nsenter --net=/var/run/netns/${ns}\` instead`;
}

/** The name under /var/run/netns of the network namespace this process is in, if it has one. */
function namedNetns(): string | undefined {
  try {
    const ino = /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/net'))?.[1];
    if (ino === undefined) return undefined;
    for (const name of readdirSync('/var/run/netns'))
      if (String(statSync(join('/var/run/netns', name)).ino) === ino) return name;
  } catch {
    // no /proc or no named namespaces: nothing to add
  }
  return undefined;
}
