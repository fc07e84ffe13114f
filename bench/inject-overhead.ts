// What faultline adds on top of the kernel calls a network fault needs.
//
//   npx tsx --conditions=@faultline/source bench/inject-overhead.ts [iterations]
//
// For each network fault: the median time of inject + revert through faultline, against the raw
// commands making the same kernel objects (the same nft script and sink device, the same tc tree,
// the same resolver and nat table), measured in one run, alternating, inside a throwaway namespace
// pair. A last column times the raw commands of the mechanism before issue #13 (a loud egress
// `drop` with no sink; a bare tbf root with no SSH exemption): what the new objects cost. Prints a
// markdown table; target ≤ 1.3× raw. The netem faults cannot run on a kernel without sch_netem.
import { spawn } from 'node:child_process';
import { injectContext } from '@faultline/core/testing';
import { faults } from '@faultline/faults-linux';
import { run } from '../packages/faults-linux/src/exec.js';
import {
  RESOLVER_GID_BASE,
  RESOLVER_UID,
  redirectScript,
} from '../packages/faults-linux/src/net/dns-redirect.js';
import { buildDeleteScript } from '../packages/faults-linux/src/net/nft.js';
import { resolverScript } from '../packages/faults-linux/src/net/resolver.js';
import { classifierLines } from '../packages/faults-linux/src/net/u32.js';
import { makeNetnsPair } from '../packages/faults-linux/src/testing/netns.js';

const { dnsError, dnsSpoof, networkLoss, networkPartition, networkPortBlock, networkRateLimit } = faults;
const N = Number(process.argv[2] ?? 25);
const pair = await makeNetnsPair({ prefix: 'flbb' });
const ns = pair.a;
const dev = pair.vethA;

const must = async (file: string, args: string[], input?: string) => {
  const r = await run(file, args, { netns: ns, ...(input === undefined ? {} : { input }) });
  if (r.exitCode > 1) throw new Error(`${r.command}: ${r.stderr}`);
};
const nft = (script: string) => must('nft', ['-f', '-'], script);

const netdevScript = (name: string, rule: string) =>
  `add table netdev ${name}\ndelete table netdev ${name}\ntable netdev ${name} {\n  chain egress_0 {\n    type filter hook egress device "${dev}" priority -10; policy accept;\n    ${rule}\n  }\n}\n`;

/** The raw silent drop: a down ifb, the table forwarding to it, then both removed. */
async function withSink(t: string, rule: (drop: string) => string): Promise<void> {
  const sink = `fls${t.slice(-8)}`;
  await must('ip', ['link', 'add', sink, 'type', 'ifb']);
  await nft(netdevScript(t, rule(`fwd to "${sink}"`)));
  await nft(buildDeleteScript(t, ['netdev']));
  await must('ip', ['link', 'del', sink]);
}

/** The raw loud drop faultline used before: the table alone. */
async function loud(t: string, rule: (drop: string) => string): Promise<void> {
  await nft(netdevScript(t, rule('drop')));
  await nft(buildDeleteScript(t, ['netdev']));
}

/** The raw tc tree of the rate limit: htb, class, tbf, the SSH exemptions and the classifier. */
async function tcTree(match: { remoteIps: string[] }): Promise<void> {
  const lines = [
    `qdisc add dev ${dev} root handle 1: htb`,
    `class add dev ${dev} parent 1: classid 1:1 htb rate 100gbit quantum 60000`,
    `qdisc add dev ${dev} parent 1:1 tbf rate 1000000bit burst 4096 latency 400ms`,
    ...classifierLines(dev, '1:', {
      dir: 'egress',
      whitelistSsh: true,
      match: { ...match, protocol: 'all', localPorts: [], remotePorts: [] },
    }),
  ];
  await must('tc', ['-batch', '-'], `${lines.join('\n')}\n`);
  await must('tc', ['qdisc', 'del', 'dev', dev, 'root']);
}

/** Starts the resolver by hand and waits for its ready line (the raw side of the DNS faults). */
function rawResolver(): Promise<{ pid: number; port: number }> {
  const cfg = JSON.stringify({
    name: 'bench_raw',
    upstreams: [{ host: pair.ipB, port: 53 }],
    rules: { match: 'exact', names: ['x.test'] },
    gid: RESOLVER_GID_BASE + 1,
    uid: RESOLVER_UID,
  });
  const c = spawn('ip', ['netns', 'exec', ns, process.execPath, resolverScript(), cfg], {
    detached: true,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return new Promise((resolve) => {
    c.stdout.on('data', (d: Buffer) => {
      const m = String(d).match(/ready (\d+)/);
      if (m) {
        c.stdout.destroy();
        c.unref();
        resolve({ pid: c.pid!, port: Number(m[1]) });
      }
    });
  });
}

const flushDns = () =>
  Promise.all(
    ['ipv4', 'ipv6'].flatMap((f) =>
      ['udp', 'tcp'].map((p) => must('conntrack', ['-D', '-f', f, '-p', p, '--dport', '53'])),
    ),
  );

interface Case {
  name: string;
  fault: {
    inject(ctx: never): Promise<unknown>;
    revert(r: never, ctx: never): Promise<void>;
    kind: string;
    tunables: never;
  };
  tunables: Record<string, unknown>;
  raw(name: string): Promise<void>;
  /** The raw commands of the mechanism before issue #13, when it differs. */
  before?(name: string): Promise<void>;
}

const lossRule = (drop: string) => `ip daddr { ${pair.ipB} } numgen random mod 10000 < 3000 ${drop}`;
const partRule = (drop: string) => `ip daddr { ${pair.ipB} } ${drop}`;
const portRule = (drop: string) => `meta protocol { ip, ip6 } meta l4proto tcp th dport { 8080 } ${drop}`;

const cases: Case[] = [
  {
    name: 'linux/network-loss',
    fault: networkLoss as never,
    tunables: {
      namespace: ns,
      interfaces: [dev],
      percent: 30,
      destinationIps: [pair.ipB],
      whitelistSsh: false,
    },
    raw: (t) => withSink(t, lossRule),
    before: (t) => loud(t, lossRule),
  },
  {
    name: 'linux/network-partition',
    fault: networkPartition as never,
    tunables: {
      namespace: ns,
      interfaces: [dev],
      destinationIps: [pair.ipB],
      direction: 'egress',
      whitelistSsh: false,
    },
    raw: (t) => withSink(t, partRule),
    before: (t) => loud(t, partRule),
  },
  {
    name: 'linux/network-port-block (drop)',
    fault: networkPortBlock as never,
    tunables: {
      namespace: ns,
      interfaces: [dev],
      destinationPorts: [8080],
      action: 'drop',
      direction: 'egress',
      whitelistSsh: false,
    },
    raw: (t) => withSink(t, portRule),
    before: (t) => loud(t, portRule),
  },
  {
    name: 'linux/network-rate-limit',
    fault: networkRateLimit as never,
    tunables: { namespace: ns, interfaces: [dev], rate: '1mbit' },
    raw: () => tcTree({ remoteIps: [] }),
    before: async () => {
      await must('tc', [
        'qdisc',
        'add',
        'dev',
        dev,
        'root',
        'handle',
        '1:',
        'tbf',
        'rate',
        '1mbit',
        'burst',
        '4096',
        'latency',
        '400ms',
      ]);
      await must('tc', ['qdisc', 'del', 'dev', dev, 'root']);
    },
  },
  {
    name: 'linux/network-rate-limit (1 destination)',
    fault: networkRateLimit as never,
    tunables: { namespace: ns, interfaces: [dev], rate: '1mbit', destinationIps: [pair.ipB] },
    raw: () => tcTree({ remoteIps: [pair.ipB] }),
  },
  ...[dnsError, dnsSpoof].map(
    (fault): Case => ({
      name: fault.kind,
      fault: fault as never,
      tunables:
        fault === dnsError
          ? { namespace: ns, upstreamServer: pair.ipB, targetHostnames: ['x.test'] }
          : { namespace: ns, upstreamServer: pair.ipB, spoofMap: { 'x.test': '10.1.1.1' } },
      raw: async (t) => {
        const r = await rawResolver();
        await nft(
          redirectScript({
            table: t,
            port: 53,
            listenPort: r.port,
            priority: -101,
            exemptGids: [RESOLVER_GID_BASE + 1],
            exemptUids: [],
          }),
        );
        await flushDns();
        await nft(buildDeleteScript(t, ['inet']));
        await flushDns();
        process.kill(r.pid, 'SIGTERM');
        while ((await run('kill', ['-0', String(r.pid)])).exitCode === 0)
          await new Promise((s) => setTimeout(s, 5));
      },
    }),
  ),
];

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

const rows: string[] = [];
try {
  for (const c of cases) {
    const ours: number[] = [];
    const raw: number[] = [];
    const before: number[] = [];
    for (let i = 0; i < N + 2; i++) {
      const ctx = injectContext(c.fault, c.tunables as never, {
        runId: `bench${i}x`,
        stepId: 'b',
        stateDir: '/tmp',
      });
      // alternate which goes first, so neither always meets a warm cache
      const one = async () => {
        const t0 = performance.now();
        const receipt = await c.fault.inject(ctx as never);
        await c.fault.revert(receipt as never, ctx as never);
        return performance.now() - t0;
      };
      const two = async () => {
        const t0 = performance.now();
        await c.raw(`faultline_raw_${i}`);
        return performance.now() - t0;
      };
      const [a, b] = i % 2 ? [await one(), await two()] : [await two(), await one()].reverse();
      if (i >= 2) {
        ours.push(a!);
        raw.push(b!);
      }
      if (c.before && i >= 2) {
        const t0 = performance.now();
        await c.before(`faultline_old_${i}`);
        before.push(performance.now() - t0);
      }
    }
    const [m, r] = [median(ours), median(raw)];
    const old = before.length ? median(before).toFixed(1) : '—';
    rows.push(`| ${c.name} | ${m.toFixed(1)} | ${r.toFixed(1)} | ${(m / r).toFixed(2)}× | ${old} |`);
    console.error(rows.at(-1));
  }
} finally {
  await pair.destroy();
}

console.log(`inject + revert, median of ${N} (ms), node ${process.version}, inside a network namespace\n`);
console.log('| fault | faultline | raw, same objects | ratio | raw, before #13 |\n|---|---:|---:|---:|---:|');
console.log(rows.join('\n'));
console.log(
  '\nnetem faults (latency, jitter, corruption, duplication): not measured, this kernel has no sch_netem.',
);
