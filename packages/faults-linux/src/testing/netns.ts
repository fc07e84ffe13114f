// Test helpers: a pair of throwaway network namespaces joined by a veth, so real network chaos in
// tests never touches the machine's own interfaces. Tests and benches only; the pack never imports it.
import { type ChildProcess, spawn as spawnChild } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import type { InjectContext } from '@faultline/core';
import { type CommandResult, type RunOptions, run } from '../exec.js';

/** Two namespaces `a` and `b`, a veth between them, and helpers to run things inside. */
export interface NetnsPair {
  /** Namespace names: `<prefix>-<rand>-a` / `-b`. */
  a: string;
  b: string;
  /** Addresses on the veth ends (a /24 in 10.200-255.x.0). */
  ipA: string;
  ipB: string;
  /** Interface names: `<prefix><rand>a` in `a`, `<prefix><rand>b` in `b`. */
  vethA: string;
  vethB: string;
  /** Runs a command inside a namespace (argv only). */
  exec(
    ns: string,
    file: string,
    args: readonly string[],
    opts?: Omit<RunOptions, 'netns'>,
  ): Promise<CommandResult>;
  /** Starts a long-running process inside a namespace; killed by destroy() if still running. */
  spawn(ns: string, file: string, args: readonly string[]): ChildProcess;
  /** Writes /etc/netns/<ns>/<file> (`hosts`, `resolv.conf`): seen by commands run through `ip netns exec`. */
  writeEtc(ns: string, file: 'hosts' | 'resolv.conf', text: string): Promise<void>;
  /** Kills what runs inside, deletes both namespaces (and with them the veth) and their /etc/netns dirs. */
  destroy(): Promise<void>;
}

async function must(file: string, args: string[]): Promise<void> {
  const r = await run(file, args);
  if (r.exitCode !== 0) throw new Error(`${r.command} failed: ${r.stderr}`);
}

/**
 * Makes the pair. `prefix` (2-5 chars of a-z0-9) keeps parallel test suites apart: interface names
 * must fit IFNAMSIZ, so it is short.
 */
export async function makeNetnsPair(opts: { prefix: string }): Promise<NetnsPair> {
  if (!/^[a-z][a-z0-9]{1,4}$/.test(opts.prefix))
    throw new Error('prefix: 2-5 chars of a-z 0-9, starting with a letter');
  const rand = randomBytes(3).toString('hex');
  const [x, y] = [200 + (randomBytes(1)[0]! % 56), randomBytes(1)[0]!];
  const pair = {
    a: `${opts.prefix}-${rand}-a`,
    b: `${opts.prefix}-${rand}-b`,
    vethA: `${opts.prefix}${rand}a`,
    vethB: `${opts.prefix}${rand}b`,
    ipA: `10.${x}.${y}.1`,
    ipB: `10.${x}.${y}.2`,
  };
  const children = new Set<ChildProcess>();
  const etcDirs = new Set<string>();

  const destroy = async (): Promise<void> => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const ns of [pair.a, pair.b]) {
      // anything still running inside keeps the namespace alive after `ip netns del`: kill it first
      const pids = await run('ip', ['netns', 'pids', ns]);
      for (const pid of pids.stdout.split('\n').filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {}
      }
      await run('ip', ['netns', 'del', ns]);
    }
    for (const d of etcDirs) await rm(d, { recursive: true, force: true });
  };

  try {
    await must('ip', ['netns', 'add', pair.a]);
    await must('ip', ['netns', 'add', pair.b]);
    await must('ip', [
      'link',
      'add',
      pair.vethA,
      'netns',
      pair.a,
      'type',
      'veth',
      'peer',
      'name',
      pair.vethB,
      'netns',
      pair.b,
    ]);
    for (const [ns, dev, ip] of [
      [pair.a, pair.vethA, pair.ipA],
      [pair.b, pair.vethB, pair.ipB],
    ] as const) {
      await must('ip', ['-n', ns, 'addr', 'add', `${ip}/24`, 'dev', dev]);
      await must('ip', ['-n', ns, 'link', 'set', dev, 'up']);
      await must('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
  } catch (e) {
    await destroy();
    throw e;
  }

  return {
    ...pair,
    exec: (ns, file, args, o = {}) => run(file, args, { ...o, netns: ns }),
    spawn(ns, file, args) {
      const c = spawnChild('ip', ['netns', 'exec', ns, file, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      children.add(c);
      return c;
    },
    async writeEtc(ns, file, text) {
      const dir = `/etc/netns/${ns}`;
      etcDirs.add(dir);
      await mkdir(dir, { recursive: true });
      await writeFile(`${dir}/${file}`, text);
    },
    destroy,
  };
}

/** Waits until a spawned process prints a line matching `re` on stdout (servers print "ready"). */
export function waitForLine(c: ChildProcess, re: RegExp, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    let err = '';
    const timer = setTimeout(
      () => reject(new Error(`no line matching ${re} within ${timeoutMs} ms: ${buf}${err}`)),
      timeoutMs,
    );
    c.stderr?.on('data', (d) => (err += d));
    c.stdout?.on('data', (d) => {
      buf += d;
      const line = buf.split('\n').find((l) => re.test(l));
      if (line !== undefined) {
        clearTimeout(timer);
        resolve(line);
      }
    });
    c.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`process exited (${code}) before printing ${re}: ${buf}${err}`));
    });
  });
}

const ECHO_SERVER = `
const s = require('node:dgram').createSocket(process.argv[1].includes(':') ? 'udp6' : 'udp4');
s.on('message', (m, r) => s.send(m, r.port, r.address));
s.bind(Number(process.argv[2]), process.argv[1], () => console.log('ready'));`;

const ECHO_CLIENT = `
const [host, port, count] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
const s = require('node:dgram').createSocket(host.includes(':') ? 'udp6' : 'udp4');
const got = new Set(); let errors = 0;
s.on('message', (m) => got.add(m.readUInt32BE(0)));
let i = 0;
const tick = () => {
  if (i >= count) return setTimeout(() => { console.log(JSON.stringify({ sent: count, received: got.size, errors })); s.close(); }, 500);
  const b = Buffer.alloc(32); b.writeUInt32BE(i++, 0);
  s.send(b, port, host, (e) => { if (e) errors++; });
  setTimeout(tick, 1);
};
tick();`;

/**
 * Sends `count` UDP datagrams from namespace `from` to an echo server at `host` in namespace `to`
 * and counts the echoes: a real loss measurement (ping retries on egress drops, UDP does not).
 */
export async function measureUdpLoss(
  pair: NetnsPair,
  o: { from: string; to: string; host: string; port?: number; count?: number },
): Promise<{ sent: number; received: number; errors: number; lossPercent: number }> {
  const port = String(o.port ?? 7007);
  const server = pair.spawn(o.to, process.execPath, ['-e', ECHO_SERVER, o.host, port]);
  try {
    await waitForLine(server, /ready/);
    const r = await pair.exec(
      o.from,
      process.execPath,
      ['-e', ECHO_CLIENT, o.host, port, String(o.count ?? 600)],
      { timeoutMs: 60_000 },
    );
    if (r.exitCode !== 0) throw new Error(`echo client failed: ${r.stderr}`);
    const res = JSON.parse(r.stdout) as { sent: number; received: number; errors: number };
    return { ...res, lossPercent: (100 * (res.sent - res.received)) / res.sent };
  } finally {
    server.kill('SIGKILL');
  }
}

const TCP_CLIENT = `
const [host, port, ms] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
const t0 = Date.now();
const c = require('node:net').connect({ host, port });
const done = (r) => { console.log(JSON.stringify({ result: r, ms: Date.now() - t0 })); c.destroy(); process.exit(0); };
c.on('connect', () => done('connected'));
c.on('error', (e) => done(e.code));
setTimeout(() => done('timeout'), ms);`;

/** Tries one TCP connect from a namespace: `connected`, `ECONNREFUSED`, `timeout`, or another error code. */
export async function tcpConnect(
  pair: NetnsPair,
  from: string,
  host: string,
  port: number,
  timeoutMs = 1500,
): Promise<{ result: string; ms: number }> {
  const r = await pair.exec(from, process.execPath, [
    '-e',
    TCP_CLIENT,
    host,
    String(port),
    String(timeoutMs),
  ]);
  if (r.exitCode !== 0) throw new Error(`tcp client failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as { result: string; ms: number };
}

const TCP_SERVER = `
const srv = require('node:net').createServer((s) => { s.on('error', () => {}); s.resume(); });
srv.listen(Number(process.argv[2]), process.argv[1], () => console.log('ready'));`;

/** Starts a TCP server that accepts and reads (what SSH and iperf-less tests connect to). */
export async function tcpServer(
  pair: NetnsPair,
  ns: string,
  host: string,
  port: number,
): Promise<ChildProcess> {
  const c = pair.spawn(ns, process.execPath, ['-e', TCP_SERVER, host, String(port)]);
  await waitForLine(c, /ready/);
  return c;
}

/**
 * Runs `body` with a fresh pair, then checks that nothing of faultline's is left in either
 * namespace (nft tables, qdiscs, ifbs, resolvers) — the code under test must have cleaned up — and
 * destroys the pair whatever happened.
 */
export async function withNetnsPair<T>(prefix: string, body: (pair: NetnsPair) => Promise<T>): Promise<T> {
  const pair = await makeNetnsPair({ prefix });
  let result: T;
  try {
    result = await body(pair);
  } catch (e) {
    await pair.destroy();
    throw e;
  }
  // the body passed: now the code under test must have removed everything itself
  const left = await assertNoLeftovers(pair).catch((e: Error) => e);
  await pair.destroy();
  if (left instanceof Error) throw left;
  return result;
}

/** Throws when either namespace of the pair still holds something a network fault made. */
export async function assertNoLeftovers(pair: NetnsPair): Promise<void> {
  const { scanNetworkLeftovers } = await import('../net/leftovers.js');
  const left = (await scanNetworkLeftovers({ namespaces: [pair.a, pair.b] })).filter(
    (l) => l.namespace === pair.a || l.namespace === pair.b,
  );
  // and the raw view, in case the scanner itself is wrong
  for (const ns of [pair.a, pair.b]) {
    const tables = await run('nft', ['list', 'tables'], { netns: ns });
    if (tables.stdout.includes('faultline'))
      left.push({ type: 'nft-table', namespace: ns, name: tables.stdout, remove: '' });
    const qd = await run('tc', ['qdisc', 'show'], { netns: ns });
    if (/qdisc (tbf|htb|netem|ingress)/.test(qd.stdout))
      left.push({ type: 'qdisc', namespace: ns, name: qd.stdout, remove: '' });
  }
  if (left.length) throw new Error(`network leftovers: ${JSON.stringify(left)}`);
}

/** A contract `setup()` over a fresh pair: the tunables aimed at it, and a cleanup that checks leftovers. */
export function pairSetup<T>(prefix: string, tunables: (pair: NetnsPair) => T | Promise<T>) {
  return async () => {
    const pair = await makeNetnsPair({ prefix });
    return {
      tunables: await tunables(pair),
      cleanup: async () => {
        const left = await assertNoLeftovers(pair).catch((e: Error) => e);
        await pair.destroy();
        if (left instanceof Error) throw left;
      },
    };
  };
}

let ctxCounter = 0;
/** Injection ids and context for calling a fault directly in a test. */
export async function faultCtx<T>(tunables: T, step = 'test'): Promise<InjectContext<T>> {
  const { revertContext } = await import('@faultline/core/testing');
  const runId = `t${process.pid.toString(36)}${(ctxCounter++).toString(36)}${randomBytes(2).toString('hex')}`;
  // the caller parsed the tunables: the context from the injection's facts (the shape inject gets too)
  return revertContext({ runId, stepId: step, tunables, stateDir: '/tmp' });
}
