// What faultline adds on top of the kernel calls a network fault needs.
//
//   npx tsx --conditions=@faultline/source bench/inject-overhead.ts [iterations]
//
// For each network fault: the median time of inject + revert through faultline, against the raw
// commands doing the same thing (the same nft script through `nft -f -`, the same tc lines, the same
// resolver start), measured in one run, alternating, inside a throwaway namespace pair. Prints a
// markdown table; target ≤ 1.3× raw. The netem faults cannot run on a kernel without sch_netem.
import { spawn } from 'node:child_process';
import { injectContext } from '@faultline/core/testing';
import { faults } from '@faultline/faults-linux';
import { run } from '../packages/faults-linux/src/exec.js';
import { buildDeleteScript } from '../packages/faults-linux/src/net/nft.js';
import { resolverScript } from '../packages/faults-linux/src/net/resolver.js';
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

/** Starts the resolver by hand and waits for its ready line (the raw side of the DNS faults). */
function rawResolver(): Promise<{ pid: number; port: number; sport: number }> {
  const cfg = JSON.stringify({
    name: 'bench_raw',
    upstream: pair.ipB,
    upstreamPort: 53,
    rules: { match: 'exact', names: ['x.test'] },
  });
  const c = spawn('ip', ['netns', 'exec', ns, process.execPath, resolverScript(), cfg], {
    detached: true,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return new Promise((resolve) => {
    c.stdout.on('data', (d: Buffer) => {
      const m = String(d).match(/ready (\d+) (\d+)/);
      if (m) {
        c.stdout.destroy();
        c.unref();
        resolve({ pid: c.pid!, port: Number(m[1]), sport: Number(m[2]) });
      }
    });
  });
}

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
}

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
    raw: async (t) => {
      await nft(netdevScript(t, `ip daddr { ${pair.ipB} } numgen random mod 10000 < 3000 drop`));
      await nft(buildDeleteScript(t, ['netdev']));
    },
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
    raw: async (t) => {
      await nft(netdevScript(t, `ip daddr { ${pair.ipB} } drop`));
      await nft(buildDeleteScript(t, ['netdev']));
    },
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
    raw: async (t) => {
      await nft(netdevScript(t, 'meta protocol { ip, ip6 } meta l4proto tcp th dport { 8080 } drop'));
      await nft(buildDeleteScript(t, ['netdev']));
    },
  },
  {
    name: 'linux/network-rate-limit',
    fault: networkRateLimit as never,
    tunables: { namespace: ns, interfaces: [dev], rate: '1mbit' },
    raw: async () => {
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
    name: 'linux/network-rate-limit (htb, 1 destination)',
    fault: networkRateLimit as never,
    tunables: { namespace: ns, interfaces: [dev], rate: '1mbit', destinationIps: [pair.ipB] },
    raw: async () => {
      const lines = [
        `qdisc add dev ${dev} root handle 1: htb`,
        `class add dev ${dev} parent 1: classid 1:1 htb rate 1mbit ceil 1mbit burst 4096`,
        `filter add dev ${dev} parent 1: protocol ip prio 1 u32 match ip dst ${pair.ipB} flowid 1:1`,
      ];
      await must('tc', ['-batch', '-'], `${lines.join('\n')}\n`);
      await must('tc', ['qdisc', 'del', 'dev', dev, 'root']);
    },
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
          `add table ip ${t}\ndelete table ip ${t}\ntable ip ${t} {\n  chain output {\n    type nat hook output priority -100; policy accept;\n    udp dport 53 udp sport != ${r.sport} redirect to :${r.port}\n    tcp dport 53 redirect to :${r.port}\n  }\n}\n`,
        );
        for (const p of ['udp', 'tcp']) await must('conntrack', ['-D', '-p', p, '--dport', '53']);
        await nft(buildDeleteScript(t, ['ip']));
        for (const p of ['udp', 'tcp']) await must('conntrack', ['-D', '-p', p, '--dport', '53']);
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
    }
    const [m, r] = [median(ours), median(raw)];
    rows.push(`| ${c.name} | ${m.toFixed(1)} | ${r.toFixed(1)} | ${(m / r).toFixed(2)}× |`);
    console.error(rows.at(-1));
  }
} finally {
  await pair.destroy();
}

console.log(`inject + revert, median of ${N} (ms), node ${process.version}, inside a network namespace\n`);
console.log('| fault | faultline | raw commands | ratio |\n|---|---:|---:|---:|');
console.log(rows.join('\n'));
console.log(
  '\nnetem faults (latency, jitter, corruption, duplication): not measured, this kernel has no sch_netem.',
);
