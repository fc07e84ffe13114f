// One control plane → 10 / 50 / 100 agents, each agent in its own network namespace reached over its
// own veth: inject + revert a network fault on every agent at once, against the same fault run
// locally in each namespace. Target: ≤ 2 s total at 100 agents.
//
//   npm run bench:fanout [-- --sizes 10,50,100 --repeat 5 --no-build]
//
// Each agent is a real `faultline-agent` process (dist/bin.js, plain node) in its namespace, run the
// way the supervisor runs its child: no sentinel (the supervisor reverts after a crash), recovery
// before serving. The idle supervisor process that would wait beside each is left out (it takes no
// part in a run). The local side is one plain-node process per namespace with the same runtime
// configuration and packs, told to start by a line on stdin. Both sides are timed from the moment
// the runs are started to each result's arrival (per agent) and to the last one (total).
// The spec: `linux/network-loss` (30 %, UDP to port 7007: an nft netdev table and a sink device on the
// leaf's veth) with a 0 ms window and an Edge infra-responsive probe — so the time is inject + revert.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ExperimentSpec } from '@faultline/core';
import { nodeIn, type Proc, REPO } from '../packages/agent/test/netns.js';
import { makeStar } from '../packages/agent/test/star.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10,50,100' },
    repeat: { type: 'string', default: '5' },
    'no-build': { type: 'boolean', default: false },
  },
});
const sizes = values.sizes.split(',').map(Number);
const repeat = Number(values.repeat);
const count = Math.max(...sizes);
const SCRIPT = join(REPO, 'bench/fanout-node.mjs');
const BIN = join(REPO, 'packages/agent/dist/bin.js');
const token = randomBytes(24).toString('hex');
const spec: ExperimentSpec = {
  apiVersion: 'faultline/v1',
  kind: 'Experiment',
  metadata: { name: 'fan-out' },
  spec: {
    steps: [
      {
        faults: [
          {
            id: 'loss',
            kind: 'linux/network-loss',
            tunables: { percent: 30, protocol: 'udp', destinationPorts: [7007] },
            duration: '0ms',
            // the default health check (infra-responsive, 1 s) fails when 100 processes share 2 cores:
            // the same probe with room, so that the verdict says whether inject and revert worked
            healthCheck: false,
            probes: [{ name: 'responsive', kind: 'probe/infra-responsive', tunables: { maxLagMs: 60_000 } }],
          },
        ],
      },
    ],
  },
};

const q = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const median = (xs: number[]) => q(xs, 50);
const f = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
const log = (s: string) => process.stderr.write(`${s}\n`);
/**
 * Waits out the start-up of 100 processes, so it is not measured: until the kernel's count of
 * runnable tasks (/proc/loadavg, 4th field) stays at 4 or less for 2 s, at most 60 s (other work
 * on a shared machine can keep it higher: then the bench goes on, and prints the load it saw).
 */
async function settle(): Promise<void> {
  const end = Date.now() + 60_000;
  let quiet = 0;
  while (quiet < 4 && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 500));
    const running = Number((await readFile('/proc/loadavg', 'utf8')).split(' ')[3]!.split('/')[0]);
    quiet = running <= 4 ? quiet + 1 : 0;
  }
}

/** Plain node on dist, not tsx: what an installed agent runs. */
const plainNode = (ns: string, args: string[], env: NodeJS.ProcessEnv = {}): Proc =>
  nodeIn(ns, args, env, false);

if (!values['no-build']) {
  log('building the packages (dist is what the agents run; --no-build to skip)…');
  execFileSync('npm', ['run', 'build'], { cwd: REPO, stdio: 'ignore' });
}
const loadBefore = loadavg()
  .map((l) => l.toFixed(1))
  .join(' ');
const state = await mkdtemp(join(tmpdir(), 'flfanout-'));
log(`making ${count} namespaces…`);
const star = await makeStar({ prefix: 'flfo', count });
const procs: Proc[] = [];
let cleaning: Promise<void> | undefined;
const cleanup = () =>
  (cleaning ??= (async () => {
    for (const p of procs) p.kill('SIGTERM');
    await Promise.all(procs.map((p) => Promise.race([p.exited, new Promise((r) => setTimeout(r, 5000))])));
    for (const p of procs) p.kill('SIGKILL');
    await star.destroy();
    await rm(state, { recursive: true, force: true });
  })());
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.once(sig, () => {
    log(`${sig}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
try {
  // ---- local: the same fault, run by a runtime inside each namespace ----
  log('local: starting one runtime per namespace…');
  const runners = star.leaves.map((l, i) => plainNode(l.ns, [SCRIPT, 'local', join(state, `local-${i}`)]));
  procs.push(...runners);
  await Promise.all(runners.map((r) => r.waitFor(/"ready"/, 120_000)));
  for (const r of runners) r.child.stdin!.write(`${JSON.stringify({ spec })}\n`);
  let notPass = 0;
  const localRound = async (n: number) => {
    const marks = runners.slice(0, n).map((r) => r.lines.length);
    const t0 = performance.now();
    for (const r of runners.slice(0, n)) r.child.stdin!.write('{"go":true}\n');
    const per = await Promise.all(
      runners.slice(0, n).map(async (r, i) => {
        const { line } = await r.waitFor(/"ms"/, 120_000, marks[i]);
        if (JSON.parse(line).verdict !== 'Pass') notPass++;
        return performance.now() - t0;
      }),
    );
    return { total: performance.now() - t0, per };
  };
  await settle();
  await localRound(count); // warm-up
  const local = new Map<number, { totals: number[]; per: number[]; notPass: number }>();
  for (const n of sizes) {
    notPass = 0;
    const acc = { totals: [] as number[], per: [] as number[], notPass: 0 };
    for (let k = 0; k < repeat; k++) {
      const r = await localRound(n);
      acc.totals.push(r.total);
      acc.per.push(...r.per);
    }
    acc.notPass = notPass;
    local.set(n, acc);
    log(`local ${n}: total ${f(median(acc.totals))}, per-namespace p99 ${f(q(acc.per, 99))}`);
  }
  for (const r of runners) r.kill('SIGTERM');
  await Promise.all(runners.map((r) => r.exited));

  // ---- remote: an agent per namespace, one control plane ----
  log('remote: starting one agent per namespace…');
  const agents = star.leaves.map((l, i) =>
    plainNode(l.ns, [BIN, '--listen', `${l.ip}:7411`, '--state-dir', join(state, `agent-${i}`)], {
      FAULTLINE_AGENT_TOKEN: token,
      // the supervisor's child configuration: no sentinel, journal-only recovery
      FAULTLINE_AGENT_SUPERVISED: '1',
    }),
  );
  procs.push(...agents);
  await Promise.all(agents.map((a) => a.waitFor(/listening on/, 180_000)));
  await settle();
  const control = plainNode(star.control, [SCRIPT, 'control']);
  procs.push(control);
  control.child.stdin!.write(
    `${JSON.stringify({ urls: star.leaves.map((l) => `http://${l.ip}:7411`), token, sizes, repeat, spec })}\n`,
  );
  await control.waitFor(/"done"/, 600_000);
  const rounds = control.lines.filter((l) => l.startsWith('{"n"')).map((l) => JSON.parse(l));

  const cores = execFileSync('nproc', { encoding: 'utf8' }).trim();
  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  console.log(
    `\nfan-out: inject + revert linux/network-loss on N agents at once (median of ${repeat} rounds; p99 over all agents of all rounds; ${cores} cores; load average ${loadBefore} before, ${load} after)\n`,
  );
  console.log(
    '| agents | remote total | remote per-agent p99 | local total | local per-namespace p99 | remote / local (total) | runs not Pass, remote / local |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|---:|');
  for (const n of sizes) {
    const mine = rounds.filter((r) => r.n === n);
    const totals = mine.map((r) => r.total);
    const per = mine.flatMap((r) => r.perAgent);
    const l = local.get(n)!;
    console.log(
      `| ${n} | ${f(median(totals))} | ${f(q(per, 99))} | ${f(median(l.totals))} | ${f(q(l.per, 99))} | ${(median(totals) / median(l.totals)).toFixed(2)}× | ${mine.reduce((a, r) => a + r.notPass, 0)} / ${l.notPass} |`,
    );
    for (const r of mine)
      if (r.notPass) log(`remote ${n}, round ${r.k}: ${r.notPass} not Pass (${r.why.join(', ')})`);
    log(`${n}: remote totals ${totals.map(f).join(', ')}; local ${l.totals.map(f).join(', ')}`);
  }
  const at100 = rounds.filter((r) => r.n === count).map((r) => r.total);
  console.log(
    `\ntarget: ≤ 2 s total at ${count} agents — ${median(at100) <= 2000 ? 'met' : 'NOT met'} (${f(median(at100))})`,
  );
} finally {
  await cleanup();
}
