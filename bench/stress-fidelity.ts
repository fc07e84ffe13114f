// Stress fidelity of @faultline/faults-linux: asked vs measured, on this host, now.
// Run: npx tsx --conditions=@faultline/source bench/stress-fidelity.ts [--workers 2] [--window 3] [--compare]
// (--compare adds the same loads held by stress-ng's --cpu-load duty cycle alone, without the quota)
// CPU: asked load 25/50/75 % per worker vs (a) the cgroup's CPU time (cpuacct / cpu.stat), (b) the
// workers' utime+stime from /proc/PID/stat, over the window; the whole machine's busy share from
// /proc/stat is printed for context (other load on a shared machine shows there, not in a/b).
// Memory: asked 256/512 MiB vs the cgroup's usage once it is flat.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { injectContext } from '@faultline/core/testing';
import { faults } from '@faultline/faults-linux';
import { createGroup, destroyGroup, groupPids } from '../packages/faults-linux/src/host/cgroup.js';
import { cpuUsageNs, memoryUsage } from '../packages/faults-linux/src/host/cgroup-stats.js';
import { launchInGroup } from '../packages/faults-linux/src/host/launch.js';

const { cpuStress, memoryStress } = faults;

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const WORKERS = arg('workers', 2);
const WINDOW_S = arg('window', 3);
const TICK = 100; // USER_HZ: /proc/PID/stat and /proc/stat count in 1/100 s on Linux

const ctxOpts = (stepId: string) => ({
  runId: `flcbench${Date.now().toString(36)}`,
  stepId,
  stateDir: '/tmp/flc-bench-state',
});

function procTicks(pid: number): number {
  try {
    const t = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = t.slice(t.lastIndexOf(') ') + 2).split(' ');
    return Number(f[11]) + Number(f[12]); // utime + stime (fields 14, 15)
  } catch {
    return 0;
  }
}

function machine(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3]! + f[4]!;
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

async function cpuRow(load: number): Promise<string> {
  const c = injectContext(cpuStress, { load, workers: WORKERS, maxDuration: '60s' }, ctxOpts(`cpu${load}`));
  const r = await cpuStress.inject(c);
  try {
    await sleep(500); // workers forked and named
    const workers = groupPids(r.cgroups).filter((p) => p !== r.pid);
    const cg0 = cpuUsageNs(r.cgroups)!;
    const p0 = workers.reduce((a, p) => a + procTicks(p), 0);
    const m0 = machine();
    const t0 = process.hrtime.bigint();
    await sleep(WINDOW_S * 1000);
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    const cg = ((cpuUsageNs(r.cgroups)! - cg0) / 1e9 / secs / WORKERS) * 100;
    const pr = ((workers.reduce((a, p) => a + procTicks(p), 0) - p0) / TICK / secs / WORKERS) * 100;
    const m1 = machine();
    const sys = ((m1.busy - m0.busy) / (m1.total - m0.total)) * 100;
    const ok = Math.abs(cg - load) <= 3 ? 'yes' : 'no';
    return `| ${load} % | ${WORKERS} | ${cg.toFixed(1)} % | ${pr.toFixed(1)} % | ${sys.toFixed(1)} % | ${r.cpuLimitEnforced ? 'CFS quota' : 'stress-ng --cpu-load'} | ${ok} |`;
  } finally {
    await cpuStress.revert(r, c);
  }
}

// The same load held by stress-ng's duty cycle alone (no quota), in a group weighted the same way:
// what the fault would do without a cpu controller, for comparison.
async function dutyCycleRow(load: number): Promise<string> {
  const name = `faultline_flcbench_duty${load}`;
  const g = createGroup(name, { tasks: WORKERS });
  try {
    const p = await launchInGroup(
      g.procsFiles,
      g.dirs,
      ['stress-ng', '--cpu', String(WORKERS), '--cpu-load', String(load), '--timeout', '60s', '--quiet'],
      { minProcs: WORKERS + 1 },
    );
    await sleep(500);
    const workers = groupPids(g.dirs).filter((x) => x !== p.pid);
    const cg0 = cpuUsageNs(g.dirs)!;
    const p0 = workers.reduce((a, x) => a + procTicks(x), 0);
    const m0 = machine();
    const t0 = process.hrtime.bigint();
    await sleep(WINDOW_S * 1000);
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    const cg = ((cpuUsageNs(g.dirs)! - cg0) / 1e9 / secs / WORKERS) * 100;
    const pr = ((workers.reduce((a, x) => a + procTicks(x), 0) - p0) / TICK / secs / WORKERS) * 100;
    const m1 = machine();
    const sys = ((m1.busy - m0.busy) / (m1.total - m0.total)) * 100;
    return `| ${load} % | ${WORKERS} | ${cg.toFixed(1)} % | ${pr.toFixed(1)} % | ${sys.toFixed(1)} % | stress-ng --cpu-load (comparison) | ${Math.abs(cg - load) <= 3 ? 'yes' : 'no'} |`;
  } finally {
    await destroyGroup(g.dirs);
  }
}

async function memRow(mib: number): Promise<string> {
  const c = injectContext(
    memoryStress,
    { size: `${mib}MiB`, workers: 1, maxDuration: '60s' },
    ctxOpts(`mem${mib}`),
  );
  const r = await memoryStress.inject(c);
  try {
    let last = -1;
    let flat = 0;
    for (let i = 0; i < 100 && flat < 3; i++) {
      await sleep(200);
      const now = memoryUsage(r.cgroups) ?? 0;
      flat = now === last ? flat + 1 : 0;
      last = now;
    }
    const got = last / 1048576;
    const err = ((got - mib) / mib) * 100;
    return `| ${mib} MiB | ${got.toFixed(1)} MiB | ${err >= 0 ? '+' : ''}${err.toFixed(2)} % | ${Math.abs(err) <= 2 ? 'yes' : 'no'} |`;
  } finally {
    await memoryStress.revert(r, c);
  }
}

const lines = [
  `stress-fidelity — ${new Date().toISOString()}, kernel ${readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()}, window ${WINDOW_S} s, load average before: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
  '',
  '| asked load | workers | measured (cgroup CPU time) | measured (/proc/PID/stat) | whole machine busy (/proc/stat) | held by | within ±3 points |',
  '|---|---|---|---|---|---|---|',
];
for (const load of [25, 50, 75]) lines.push(await cpuRow(load));
if (process.argv.includes('--compare')) for (const load of [25, 50, 75]) lines.push(await dutyCycleRow(load));
lines.push('', '| asked memory | cgroup usage | error | within ±2 % |', '|---|---|---|---|');
for (const mib of [256, 512]) lines.push(await memRow(mib));
console.log(lines.join('\n'));
