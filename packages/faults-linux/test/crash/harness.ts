// What the crash tests and the crash-recovery bench share: starting a real host process
// (host-child.ts) that injects real faults, and looking at the system for anything of its run that
// is still there. Tests and benches only; the pack never imports it.
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultJournalPath, objectName, openFileJournal } from '@faultline/core';
import { readProcStat } from '@faultline/core/internal';
import { run } from '../../src/exec.js';
import { cgroupRoots } from '../../src/host/cgroup.js';
import { scanLeftovers } from '../../src/index.js';
import type { NetnsPair } from '../../src/testing/netns.js';

/** What the host child is told (argv[2], JSON). */
export interface HostChildArgs {
  stateDir: string;
  /** Start a sentinel (default true). */
  sentinel?: boolean;
  /** Network loss on `iface` in `namespace`, towards `dest`. */
  net?: { namespace: string; iface: string; dest: string };
  /** CPU stress: one worker at this load (percent). */
  cpuLoad?: number;
  /** A disk fill in this directory. */
  fillDir?: string;
  fillSize?: string;
  /**
   * An fs-fill instead, to a usage percent with this safety floor, `path` an allowed root: what fills
   * the state dir's own filesystem (the "disk full" ending).
   */
  fsFill?: { path: string; percent: number; safetyFloor: string };
  /** Pause this pid (SIGSTOP). */
  pausePid?: number;
  /** The chaos window (default 60 s: the parent kills the host long before). */
  duration?: string;
  /** The faults' default health-check probes (default true). */
  healthCheck?: boolean;
  /** SIGKILL itself when the `count`th event of this type is emitted, after `delayMs` (default 0). */
  selfKill?: {
    on: 'fault.injecting' | 'fault.injected' | 'fault.reverting';
    count?: number;
    delayMs?: number;
  };
}

/** The moment now, in epoch ms with sub-ms precision: comparable across processes of one host. */
export const preciseNow = (): number => performance.timeOrigin + performance.now();

const repoRoot = fileURLToPath(new URL('../../../..', import.meta.url));
const childScript = fileURLToPath(new URL('./host-child.ts', import.meta.url));

/** One line the host child printed. */
export type HostLine = Record<string, any> & { at: number };

/** A running host child. */
export interface HostChild {
  child: ChildProcess;
  lines: HostLine[];
  /** Resolves with the first line matching, or throws when the host ends first or the time is up. */
  waitFor(match: (l: HostLine) => boolean, what: string, timeoutMs?: number): Promise<HostLine>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  stderr(): string;
}

/** Starts host-child.ts the way a user's program would run: node + tsx from source, cwd the repo. */
export function startHostChild(args: HostChildArgs): HostChild {
  const child = spawn(
    process.execPath,
    ['--conditions=@faultline/source', '--import', 'tsx', childScript, JSON.stringify(args)],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines: HostLine[] = [];
  const wake = new Set<() => void>();
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => {
    out += d;
    for (let i = out.indexOf('\n'); i >= 0; i = out.indexOf('\n')) {
      const line = out.slice(0, i);
      out = out.slice(i + 1);
      try {
        lines.push(JSON.parse(line));
      } catch {
        err += `(stdout) ${line}\n`;
      }
    }
    for (const w of wake) w();
  });
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((r) =>
    child.on('exit', (code, signal) => {
      r({ code, signal, at: preciseNow() });
      for (const w of wake) w();
    }),
  );
  return {
    child,
    lines,
    exited,
    stderr: () => err,
    async waitFor(match, what, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = lines.find(match);
        if (hit) return hit;
        if (child.exitCode !== null || child.signalCode !== null)
          throw new Error(`the host ended before ${what}: ${err}`);
        if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms: ${err}`);
        await new Promise<void>((r) => {
          const t = setTimeout(done, 100);
          function done() {
            clearTimeout(t);
            wake.delete(done);
            r();
          }
          wake.add(done);
        });
      }
    },
  };
}

/** Polls until `check` is true or the deadline passes; returns the ms it took, or throws with the last state. */
export async function within<T>(
  ms: number,
  what: string,
  check: () => Promise<T[]> | T[],
  pollMs = 20,
): Promise<number> {
  const t0 = performance.now();
  let last: T[] = [];
  while (performance.now() - t0 < ms) {
    last = await check();
    if (last.length === 0) return performance.now() - t0;
    await new Promise((r) => setTimeout(r, pollMs));
  }
  throw new Error(`${what} within ${ms} ms; still there: ${JSON.stringify(last, null, 1)}`);
}

/** The state letter of a process (R, S, T, ...), or undefined when it is gone. */
export function procState(pid: number): string | undefined {
  return readProcStat(pid)?.state;
}

/**
 * Processes anywhere on the host that sit in a cgroup named after this run. Zombies don't count: a
 * killed stress-ng whose parent (the dead host) is gone waits for PID 1 to reap it, and runs nothing.
 */
function processesInRunCgroups(prefix: string): string[] {
  const out: string[] = [];
  for (const p of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      if (readFileSync(`/proc/${p}/cgroup`, 'utf8').includes(prefix) && procState(Number(p)) !== 'Z')
        out.push(`process ${p} (${readFileSync(`/proc/${p}/comm`, 'utf8').trim()}) in a ${prefix}* cgroup`);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** What to look at for one run of the host child. */
export interface RunScope {
  runId: string;
  stateDir: string;
  pair?: NetnsPair;
  fillDir?: string;
  pausePid?: number;
  /** Processes a receipt named (stress-ng parent and workers): pid + start time. */
  processes?: { pid: number; startTime: string }[];
}

/** `faultline_<runId8>_`: every object of a run starts with it. */
export function runPrefix(runId: string): string {
  return objectName(runId, 'x').slice(0, -1);
}

/**
 * Everything of this run still on the system, one line each: the pack's own scanLeftovers() AND the
 * raw views (nft, tc, cgroup dirs, /proc, the fill dir), so a blind spot of the scanner shows too.
 * Empty means clean. Journal entries not reverted count as well.
 */
export async function whatIsLeft(s: RunScope, opts: { journal?: boolean } = {}): Promise<string[]> {
  const prefix = runPrefix(s.runId);
  const left: string[] = [];
  const namespaces = s.pair ? [s.pair.a, s.pair.b] : [];
  for (const l of await scanLeftovers({ namespaces, stateDir: s.stateDir }))
    if (`${l.name} ${l.detail}`.includes(prefix) || namespaces.some((n) => l.detail.includes(n)))
      left.push(`scanLeftovers: ${l.type} ${l.name} (${l.detail})`);
  for (const ns of namespaces) {
    const tables = await run('nft', ['list', 'tables'], { netns: ns });
    if (tables.stdout.includes('faultline')) left.push(`nft in ${ns}: ${tables.stdout.trim()}`);
    const qd = await run('tc', ['qdisc', 'show'], { netns: ns });
    if (/qdisc (tbf|htb|netem|ingress)/.test(qd.stdout)) left.push(`tc in ${ns}: ${qd.stdout.trim()}`);
  }
  for (const root of cgroupRoots())
    for (const n of readdirSync(root).filter((x) => x.startsWith(prefix)))
      left.push(`cgroup ${join(root, n)}`);
  left.push(...processesInRunCgroups(prefix));
  for (const p of s.processes ?? []) {
    const st = readProcStat(p.pid);
    if (st && st.startTime === p.startTime && st.state !== 'Z') left.push(`process ${p.pid} still runs`);
  }
  if (s.fillDir) for (const f of readdirSync(s.fillDir)) left.push(`file ${join(s.fillDir, f)}`);
  if (s.pausePid !== undefined) {
    const st = procState(s.pausePid);
    if (st === 'T' || st === 't') left.push(`process ${s.pausePid} is still stopped (${st})`);
  }
  if (opts.journal !== false) left.push(...(await unfinished(s.stateDir)));
  return left;
}

/** Journal entries of the state dir that are not reverted, as lines. */
export async function unfinished(stateDir: string): Promise<string[]> {
  const j = await openFileJournal(defaultJournalPath(stateDir));
  try {
    return (await j.pending()).map((e) => `journal entry ${e.id} is ${e.state}`);
  } finally {
    await j.close();
  }
}

/** The processes a stress receipt names: the parent and the workers in its cgroups right now. */
export function stressProcesses(receipt: { pid: number; startTime: string; cgroups: string[] }) {
  const out = [{ pid: receipt.pid, startTime: receipt.startTime }];
  for (const dir of receipt.cgroups) {
    try {
      for (const p of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
        const st = readProcStat(Number(p));
        if (st) out.push({ pid: Number(p), startTime: st.startTime });
      }
    } catch {
      // not in this hierarchy
    }
  }
  return out;
}

/** The sentinel's log lines (JSON), oldest first. */
export function sentinelLog(stateDir: string): Record<string, any>[] {
  try {
    return readFileSync(join(stateDir, 'sentinel.log'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
  } catch {
    return [];
  }
}
