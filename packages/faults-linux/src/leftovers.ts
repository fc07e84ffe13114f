import { type Dirent, existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { defaultStateDir, OBJECT_PREFIX } from '@faultline/core';
import { cgroupRoots, groupPids } from './host/cgroup.js';
import { effectiveRoots } from './host/paths.js';
import { type ProcessRef, readComm, stateOf } from './host/proc.js';

/** Something faultline left on the host: what it is, where, and the command that removes it. */
export type Leftover = { type: string; name: string; detail: string; fix: string };

/** Options of {@link scanHostLeftovers}. */
export interface HostScanOptions {
  /** Extra roots to look for fill files in (besides /tmp and /var/tmp). */
  allowedRoots?: readonly string[];
  /** The state dir process-pause records into (default: the runtime's). */
  stateDir?: string;
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** faultline cgroups (one entry per name, all its hierarchies) and the processes still inside them. */
function cgroupLeftovers(): Leftover[] {
  const byName = new Map<string, string[]>();
  for (const root of cgroupRoots()) {
    for (const name of listDir(root).filter((n) => n.startsWith(OBJECT_PREFIX)))
      byName.set(name, [...(byName.get(name) ?? []), join(root, name)]);
  }
  const out: Leftover[] = [];
  for (const [name, dirs] of byName) {
    const pids = groupPids(dirs);
    // a stress group holds only stress-ng: kill it. A process-pause freezer group holds the user's
    // processes: thaw them and move them out, never kill them.
    if (pids.every((p) => (readComm(p) ?? 'stress-ng').startsWith('stress-ng'))) {
      const v2 = dirs.find((d) => existsSync(join(d, 'cgroup.kill')));
      const procs = dirs.map((d) => `${d}/cgroup.procs`).join(' ');
      const kill = v2 ? `echo 1 > ${v2}/cgroup.kill` : `cat ${procs} | sort -u | xargs -r kill -9`;
      out.push({
        type: 'cgroup',
        name,
        detail: `${dirs.join(', ')} (${pids.length} process(es))`,
        fix: `${kill}; rmdir ${dirs.join(' ')}`,
      });
      for (const pid of pids) {
        out.push({
          type: 'process',
          name,
          detail: `pid ${pid} (${readComm(pid) ?? '?'}) in cgroup ${name}`,
          fix: `kill -9 ${pid}`,
        });
      }
    } else {
      const thaw = dirs.map((d) =>
        existsSync(join(d, 'freezer.state'))
          ? `echo THAWED > ${d}/freezer.state`
          : `echo 0 > ${d}/cgroup.freeze`,
      );
      const moveOut = dirs.map(
        (d) =>
          `for p in $(cat ${d}/cgroup.procs); do echo $p > ${dirname(d)}/cgroup.procs; kill -CONT $p; done`,
      );
      const fix = [...thaw, ...moveOut, `rmdir ${dirs.join(' ')}`].join('; ');
      out.push({
        type: 'frozen-cgroup',
        name,
        detail: `${dirs.join(', ')} holds paused process(es) ${pids.join(', ')}`,
        fix,
      });
    }
  }
  return out;
}

/**
 * Fill files and disk-io dirs named faultline_* under the allowed roots (three levels deep, bounded).
 * The state dir is skipped: the records faults keep there (a pause's `paused/<name>.json`) are
 * bookkeeping, reported by what they record, not as files.
 */
function fileLeftovers(roots: readonly string[], stateDir: string): Leftover[] {
  const out: Leftover[] = [];
  let budget = 20_000; // entries looked at: a huge /tmp must not make a scan hang
  const walk = (dir: string, depth: number) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (--budget < 0) return;
      const p = join(dir, e.name);
      if (p === stateDir) continue;
      if (e.name.startsWith(OBJECT_PREFIX))
        out.push({ type: 'file', name: e.name.replace(/\.fill$/, ''), detail: p, fix: `rm -rf ${p}` });
      else if (depth > 0 && e.isDirectory()) walk(p, depth - 1); // never follows symlinks
    }
  };
  for (const r of roots) walk(r, 2);
  return out;
}

/** Processes still stopped that process-pause recorded under the state dir. */
function pausedLeftovers(stateDir: string): Leftover[] {
  const out: Leftover[] = [];
  const dir = join(stateDir, 'paused');
  for (const f of listDir(dir).filter((n) => n.endsWith('.json'))) {
    let targets: ProcessRef[] = [];
    try {
      // a tree pause records every member (and those that were stopped before it, to leave alone)
      const r = JSON.parse(readFileSync(join(dir, f), 'utf8')) as {
        targets: ProcessRef[];
        members?: ProcessRef[];
        alreadyStopped?: ProcessRef[];
      };
      const before = r.alreadyStopped ?? [];
      targets = (r.members ?? r.targets).filter(
        (p) => !before.some((q) => q.pid === p.pid && q.startTime === p.startTime),
      );
    } catch {
      continue;
    }
    for (const p of targets) {
      const s = stateOf(p);
      if (s === 'T' || s === 't') {
        out.push({
          type: 'paused-process',
          name: f.replace(/\.json$/, ''),
          detail: `pid ${p.pid} (${p.comm}) stopped`,
          fix: `kill -CONT ${p.pid}`,
        });
      }
    }
  }
  return out;
}

/** Host leftovers: faultline cgroups and their processes, fill files, paused processes. */
export async function scanHostLeftovers(opts: HostScanOptions = {}): Promise<Leftover[]> {
  const stateDir = opts.stateDir ?? defaultStateDir();
  return [
    ...cgroupLeftovers(),
    ...fileLeftovers(effectiveRoots(opts.allowedRoots ?? []), stateDir),
    ...pausedLeftovers(stateDir),
  ];
}
