// Test helpers: a pair of throwaway network namespaces joined by a veth, so real network chaos in
// tests never touches the machine's own interfaces. Tests and benches only; the pack never imports it.
import { type ChildProcess, spawn as spawnChild } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import type { InjectContext } from '@faultline/core';
import { type CommandResult, type RunOptions, run } from '../exec.js';

export {
  measurePingLoss,
  measureTcpTransfer,
  measureUdpLoss,
  tcpConnect,
  tcpServer,
  waitForLine,
} from './measure.js';

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
