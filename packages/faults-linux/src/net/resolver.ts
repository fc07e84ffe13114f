import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FaultlineError } from '@faultline/core';
import { readProcStat } from '@faultline/core/internal';
import type { NsOptions } from './netns.js';

/** The resolver's rules (see resolver-server.mjs). */
export interface ResolverRules {
  match: 'exact' | 'substring';
  names?: string[];
  error?: 'NXDOMAIN' | 'SERVFAIL';
  spoof?: Record<string, string[]>;
}

/** A running resolver: the pid and its start time, so a recycled pid is never signalled. */
export interface ResolverProcess {
  pid: number;
  startTime: string;
  /** The port it answers on, on 127.0.0.1 and ::1 (where the nft redirect sends queries). */
  listenPort: number;
}

/** Where a resolver forwards the queries it does not answer. */
export interface Upstream {
  host: string;
  port: number;
}

const SCRIPT = 'resolver-server.mjs';

/**
 * The server script, beside this module: src/net/ when run from source, dist/ when built (tsup
 * copies it there, next to the bundle that holds this code).
 */
export function resolverScript(): string {
  const p = fileURLToPath(new URL(`./${SCRIPT}`, import.meta.url));
  if (existsSync(p)) return p;
  throw new FaultlineError(
    'FL_CAPABILITY',
    `the DNS resolver script ${SCRIPT} is missing from the installed @faultline/faults-linux (looked for ${p}): reinstall the package`,
  );
}

/**
 * Starts the resolver, detached (its own session: it outlives this process, as the fault must until
 * revert), inside the namespace. `ip netns exec` execs node in place, so the child's pid is node's.
 */
export function startResolver(
  o: { name: string; upstreams: Upstream[]; rules: ResolverRules; gid: number; uid?: number } & NsOptions,
): Promise<ResolverProcess> {
  const cfg = JSON.stringify({
    name: o.name,
    upstreams: o.upstreams,
    rules: o.rules,
    gid: o.gid,
    ...(o.uid === undefined ? {} : { uid: o.uid }),
  });
  const argv = [process.execPath, resolverScript(), cfg];
  const [file, args] = o.namespace
    ? ['ip', ['netns', 'exec', o.namespace, ...argv]]
    : [argv[0]!, argv.slice(1)];
  const child = spawn(file, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new FaultlineError('FL_INJECT', `the DNS resolver did not start: ${why}`));
    };
    const timer = setTimeout(() => fail(`no 'ready' within 10 s: ${err.trim()}`), 10_000);
    child.on('error', (e) => fail(e.message));
    child.on('exit', (code) => fail(`exited with ${code}: ${err.trim()}`));
    child.stderr.on('data', (d) => (err += d));
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/ready (\d+)/);
      if (!m) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.stdout.destroy();
      child.stderr.destroy();
      child.unref();
      const stat = readProcStat(child.pid!);
      if (!stat) return fail('it exited right after starting');
      resolve({ pid: child.pid!, startTime: stat.startTime, listenPort: Number(m[1]) });
    });
  });
}

/** Is this exact process (pid + start time) still running (and not a zombie)? */
export function resolverAlive(pid: number, startTime: string): boolean {
  const s = readProcStat(pid);
  return s !== undefined && s.startTime === startTime && s.state !== 'Z';
}

/** Stops the resolver if it is still the process we started: SIGTERM, then SIGKILL after 2 s. */
export async function stopResolver(pid: number, startTime: string): Promise<void> {
  for (const [sig, waitMs] of [
    ['SIGTERM', 2000],
    ['SIGKILL', 2000],
  ] as const) {
    if (!resolverAlive(pid, startTime)) return;
    try {
      process.kill(pid, sig);
    } catch {
      return;
    }
    for (let t = 0; t < waitMs && resolverAlive(pid, startTime); t += 20)
      await new Promise((r) => setTimeout(r, 20));
  }
  if (resolverAlive(pid, startTime))
    throw new FaultlineError('FL_REVERT', `the DNS resolver pid ${pid} does not exit`);
}

/** A resolver found in /proc. */
export interface FoundResolver {
  pid: number;
  startTime: string;
  /** The injection it belongs to. */
  name: string;
  /** Its group id (what the nft redirects exempt), from /proc/PID/status. */
  gid: number | undefined;
}

function gidOf(pid: number): number | undefined {
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^Gid:\s+(\d+)/m);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Every faultline resolver running on the host (any namespace), by scanning /proc. */
export function findResolvers(): FoundResolver[] {
  const out: FoundResolver[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    const i = argv.findIndex((a) => a.endsWith(SCRIPT));
    if (i < 0 || argv[0] === 'ip') continue;
    const stat = readProcStat(Number(d));
    if (!stat || stat.state === 'Z') continue;
    try {
      const name = (JSON.parse(argv[i + 1] ?? '{}') as { name?: string }).name;
      if (name) out.push({ pid: Number(d), startTime: stat.startTime, name, gid: gidOf(Number(d)) });
    } catch {}
  }
  return out;
}
