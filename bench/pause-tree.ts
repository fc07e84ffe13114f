// Pausing a process tree, three ways, on this host's cgroup layout: what is measured is whether every
// member stops (members that still made progress during the pause: target 0), how long pause and
// resume take, and what is left afterwards (stopped processes, cgroup dirs: target 0).
//
//   npx tsx --conditions=@faultline/source bench/pause-tree.ts [--runs 10]     (root)
//
// Trees: `ticking` — a parent, two children and a grandchild, each appending to a file and forking a
// `sleep` every 50 ms (the tree the tests use: it forks all the time); `wide` — a parent with 20
// children, each with a child of its own (41 processes, idle).
// Ways: linux/process-pause `signal` and `freezer` with `tree: true` (the fault as shipped), the same
// with `tree: false` (the target alone, as before trees), and freezing the cgroup the tree already
// lives in (what a systemd service has) through v1 `freezer.state` and through cgroup2 `cgroup.freeze`.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { injectContext } from '@faultline/core/testing';
import { detectLayout } from '../packages/faults-linux/src/host/cgroup.js';
import { type ProcessRef, refOf } from '../packages/faults-linux/src/host/proc.js';
import { descendantsOf } from '../packages/faults-linux/src/host/tree.js';
import { processPause } from '../packages/faults-linux/src/process-pause.js';

if (process.getuid?.() !== 0) {
  console.error('pause-tree pauses process trees it starts and makes cgroups: run it as root');
  process.exit(1);
}
const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const RUNS = arg('runs', 10);
const layout = detectLayout();
const suffix = Math.random().toString(36).slice(2, 8);

const TICKING = `tick() { while :; do echo . >> "$1/$2"; sleep 0.05; done; }
tick "$1" child1 & ( tick "$1" grandchild & tick "$1" child2 ) & tick "$1" parent`;
const WIDE = `for i in $(seq 20); do sh -c 'sleep 600 & wait' & done; wait`;
// joins the cgroups given before the `--`, then runs the tree: so every member is born inside
const JOIN = 'while [ "$1" != -- ]; do echo $$ > "$1/cgroup.procs"; shift; done; shift; exec /bin/sh -c "$@"';

const read = (f: string) => {
  try {
    return readFileSync(f, 'utf8');
  } catch {
    return '';
  }
};

/**
 * Stopped (state T) or frozen: a frozen task shows D or S, so its cgroup says it — the v1 freezer
 * group's freezer.state, or cgroup2's `frozen 1` — for the idle tree, where no tick file can.
 */
function pausedNow(pid: number): boolean {
  const st = read(`/proc/${pid}/stat`);
  if (st.slice(st.lastIndexOf(') ') + 2).startsWith('T')) return true;
  for (const line of read(`/proc/${pid}/cgroup`).split('\n')) {
    const [, ctrls, path] = line.split(':');
    if (ctrls?.split(',').includes('freezer') && layout.v1.freezer)
      if (read(`${layout.v1.freezer}${path}/freezer.state`).trim() === 'FROZEN') return true;
    if (ctrls === '' && layout.v2 && /^frozen 1$/m.test(read(`${layout.v2}${path}/cgroup.events`)))
      return true;
  }
  return false;
}

interface Tree {
  child: ChildProcess;
  dir: string;
  root: () => ProcessRef | undefined;
  members: () => ProcessRef[];
  /** Bytes each ticker wrote (ticking tree), or the members' summed CPU ticks (wide tree). */
  progress: () => number[];
  stop: () => Promise<void>;
}

async function startTree(kind: 'ticking' | 'wide', cgroups: string[]): Promise<Tree> {
  const dir = await mkdtemp('/tmp/flbench-tree-');
  const script = kind === 'ticking' ? TICKING : WIDE;
  const child = spawn('/bin/sh', ['-c', JOIN, 'join', ...cgroups, '--', script, 'tree', dir], {
    stdio: 'ignore',
    detached: true,
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const root = () => refOf(child.pid!);
  const members = () => {
    const r = root();
    return r ? [r, ...descendantsOf([r])] : [];
  };
  const progress = () =>
    kind === 'ticking'
      ? ['parent', 'child1', 'child2', 'grandchild'].map((m) => {
          try {
            return readFileSync(`${dir}/${m}`, 'utf8').length;
          } catch {
            return 0;
          }
        })
      : members().map((m) => (pausedNow(m.pid) ? 0 : 1));
  const want = kind === 'ticking' ? 4 : 41;
  for (let i = 0; i < 200 && members().length < want; i++) await sleep(20);
  await sleep(100);
  return {
    child,
    dir,
    root,
    members,
    progress,
    async stop() {
      for (const sig of ['SIGCONT', 'SIGKILL'] as const) {
        try {
          process.kill(-child.pid!, sig);
        } catch {}
      }
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Members that made progress during `ms` (ticking: tick files grew; wide: not stopped). */
async function escaped(tree: Tree, kind: 'ticking' | 'wide', ms: number): Promise<number> {
  const a = tree.progress();
  await sleep(ms);
  const b = tree.progress();
  return kind === 'ticking' ? b.filter((x, i) => x > a[i]!).length : b.filter((x) => x > 0).length;
}

const stoppedCount = (tree: Tree) => tree.members().filter((m) => pausedNow(m.pid)).length;

type Way = {
  name: string;
  /** cgroups the tree is born in (own-cgroup ways). */
  cgroups?: string[];
  pause(tree: Tree, i: number): Promise<() => Promise<void>>;
};

const faultWay = (name: string, tunables: { method: 'signal' | 'freezer'; tree: boolean }): Way => ({
  name,
  async pause(tree, i) {
    const ctx = injectContext(processPause, { pids: [tree.root()!.pid], ...tunables } as never, {
      runId: `flbench${suffix}${i}`,
      stepId: 'p',
      stateDir: '/tmp/flbench-state',
    });
    const receipt = await processPause.inject(ctx as never);
    return () => processPause.revert(receipt, ctx as never);
  },
});

/** Freezes the cgroup the tree was born in (v1 freezer or cgroup2), as one would a service's cgroup. */
function ownCgroupWay(version: 'v1' | 'v2'): Way | undefined {
  const root = version === 'v1' ? layout.v1.freezer : layout.v2;
  if (!root) return undefined;
  const dir = `${root}/flbench_${suffix}_${version}`;
  const [file, on, off] =
    version === 'v1' ? ['freezer.state', 'FROZEN', 'THAWED'] : ['cgroup.freeze', '1', '0'];
  const frozen = () =>
    version === 'v1'
      ? readFileSync(`${dir}/freezer.state`, 'utf8').trim() === 'FROZEN'
      : /^frozen 1$/m.test(readFileSync(`${dir}/cgroup.events`, 'utf8'));
  return {
    name: `own cgroup, ${version} ${file}`,
    cgroups: [dir],
    async pause() {
      writeFileSync(`${dir}/${file}`, on);
      for (let i = 0; i < 500 && !frozen(); i++) await sleep(2);
      return async () => {
        writeFileSync(`${dir}/${file}`, off);
        for (let i = 0; i < 500 && frozen(); i++) await sleep(2);
      };
    },
  };
}

const ways: Way[] = [
  faultWay('process-pause signal, tree (default)', { method: 'signal', tree: true }),
  faultWay('process-pause freezer, tree', { method: 'freezer', tree: true }),
  faultWay('process-pause signal, tree: false', { method: 'signal', tree: false }),
  faultWay('process-pause freezer, tree: false', { method: 'freezer', tree: false }),
  ...[ownCgroupWay('v1'), ownCgroupWay('v2')].filter((w): w is Way => w !== undefined),
];

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : Number.NaN;
};

console.log(
  `pause-tree — ${new Date().toISOString()}, cgroup layout ${layout.mode} (v1 freezer ${layout.v1.freezer ?? 'none'}, cgroup2 ${layout.v2 ?? 'none'}), ${RUNS} runs per row\n`,
);
console.log(
  '| tree | way | members | members still progressing during the pause (max) | pause, ms (median) | resume, ms (median) | left stopped or frozen after resume |',
);
console.log('|---|---|---:|---:|---:|---:|---:|');
mkdirSync('/tmp/flbench-state', { recursive: true });
for (const kind of ['ticking', 'wide'] as const) {
  for (const way of ways) {
    for (const c of way.cgroups ?? []) if (!existsSync(c)) mkdirSync(c);
    const tree = await startTree(kind, way.cgroups ?? []);
    const pauses: number[] = [];
    const resumes: number[] = [];
    let worst = 0;
    let left = 0;
    let size = 0;
    try {
      for (let i = 0; i < RUNS; i++) {
        const t0 = performance.now();
        const resume = await way.pause(tree, i);
        pauses.push(performance.now() - t0);
        size = Math.max(size, tree.members().length);
        worst = Math.max(worst, await escaped(tree, kind, 200));
        const t1 = performance.now();
        await resume();
        resumes.push(performance.now() - t1);
        await sleep(50);
        left += stoppedCount(tree);
        await sleep(100);
      }
    } finally {
      await tree.stop();
      for (const c of way.cgroups ?? []) {
        for (let i = 0; i < 50 && existsSync(c); i++) {
          try {
            rmdirSync(c);
          } catch {
            await sleep(20);
          }
        }
      }
    }
    const shownSize = kind === 'ticking' ? `${size} (4 long-lived)` : String(size);
    const counted = kind === 'ticking' ? '4 tickers' : `${size}`;
    console.log(
      `| ${kind} | ${way.name} | ${shownSize} | ${worst} of ${counted} | ${median(pauses).toFixed(1)} | ${median(resumes).toFixed(1)} | ${left} |`,
    );
  }
}
await rm('/tmp/flbench-state', { recursive: true, force: true });
