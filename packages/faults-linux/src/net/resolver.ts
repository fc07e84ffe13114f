import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FaultlineError } from '@faultline/core';
import { readProcStat } from '@faultline/core/internal';
import { type NsOptions, nsRun } from './netns.js';

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
  listenPort: number;
  /** The one source port it queries the upstream from (the nft redirect exempts it). */
  upstreamSourcePort: number;
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

/** The first `nameserver` of the namespace's resolv.conf (/etc/netns/<ns>/resolv.conf wins, as in `ip netns exec`). */
export function systemUpstream(namespace: string | undefined): string | undefined {
  const files = [...(namespace ? [`/etc/netns/${namespace}/resolv.conf`] : []), '/etc/resolv.conf'];
  for (const f of files) {
    try {
      const m = readFileSync(f, 'utf8').match(/^\s*nameserver\s+(\S+)/m);
      if (m) return m[1];
    } catch {}
  }
  return undefined;
}

/**
 * Starts the resolver, detached (its own session: it outlives this process, as the fault must until
 * revert), inside the namespace. `ip netns exec` execs node in place, so the child's pid is node's.
 */
export function startResolver(
  o: { name: string; upstream: string | undefined; upstreamPort: number; rules: ResolverRules } & NsOptions,
): Promise<ResolverProcess> {
  const cfg = JSON.stringify({
    name: o.name,
    upstream: o.upstream ?? null,
    upstreamPort: o.upstreamPort,
    rules: o.rules,
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
      const m = out.match(/ready (\d+) (\d+)/);
      if (!m) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.stdout.destroy();
      child.stderr.destroy();
      child.unref();
      const stat = readProcStat(child.pid!);
      if (!stat) return fail('it exited right after starting');
      resolve({
        pid: child.pid!,
        startTime: stat.startTime,
        listenPort: Number(m[1]),
        upstreamSourcePort: Number(m[2]),
      });
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

/** Every faultline resolver running on the host (any namespace), by scanning /proc: name → process. */
export function findResolvers(): { pid: number; startTime: string; name: string }[] {
  const out: { pid: number; startTime: string; name: string }[] = [];
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
      if (name) out.push({ pid: Number(d), startTime: stat.startTime, name });
    } catch {}
  }
  return out;
}

/** The nat table that sends DNS queries to the resolver, except the resolver's own upstream queries. */
export function redirectScript(table: string, port: number, r: ResolverProcess): string {
  return [
    `add table ip ${table}`,
    `delete table ip ${table}`,
    `table ip ${table} {`,
    '  chain output {',
    '    type nat hook output priority -100; policy accept;',
    `    udp dport ${port} udp sport != ${r.upstreamSourcePort} redirect to :${r.listenPort}`,
    `    tcp dport ${port} redirect to :${r.listenPort}`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/**
 * Forgets the DNS flows conntrack remembers: without this, a flow opened before inject is never
 * redirected, and a source port reused after revert still goes to the dead resolver.
 */
export async function flushDnsConntrack(port: number, opts: NsOptions): Promise<void> {
  for (const proto of ['udp', 'tcp']) {
    // exit 1 means "0 flow entries deleted": fine
    const r = await nsRun('conntrack', ['-D', '-p', proto, '--dport', String(port)], opts);
    if (r.exitCode > 1) opts.signal?.throwIfAborted();
  }
}
