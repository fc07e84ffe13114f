// Crash recovery: N host processes inject real faults (network loss in a namespace pair this bench
// makes, a disk fill in a temp dir, optionally a short CPU stress) and each is SIGKILLed at a random
// moment — while injecting, while the faults are active, or while reverting. Measured: what is left
// afterwards (target 0) and the time from the kill until everything is reverted (target p99 ≤ 200 ms).
//
//   npx tsx --conditions=@faultline/source bench/crash-recovery.ts [--runs 100] [--cpu] [--seed 1]
//
// Timing: the host writes the precise moment (epoch ms, sub-ms) on its stdout just before it kills
// itself; this process then polls the fill file every ~2 ms and follows `nft monitor` in the
// namespace, so "reverted" is the moment the last object was seen gone. The sentinel's own log gives
// when it noticed (pipe closed) and when it had reverted every entry.
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRuntime } from '@faultline/core';
import linuxPack from '@faultline/faults-linux';
import { makeNetnsPair } from '@faultline/faults-linux/testing';
import probesPack from '@faultline/probes';
import { cgroupRoots } from '../packages/faults-linux/src/host/cgroup.js';
import {
  type HostChildArgs,
  preciseNow,
  runPrefix,
  sentinelLog,
  startHostChild,
  stressProcesses,
  whatIsLeft,
} from '../packages/faults-linux/test/crash/harness.js';

if (process.getuid?.() !== 0) {
  console.error('crash-recovery injects real faults into namespaces it makes: run it as root');
  process.exit(1);
}
const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const RUNS = arg('runs', 100);
const CPU = process.argv.includes('--cpu');
let seed = arg('seed', 1);
/** mulberry32: the same --seed gives the same kill moments. */
const random = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
const FAULTS = CPU ? 3 : 2;
type Phase = 'injecting' | 'active' | 'reverting';
const PHASES: Phase[] = ['injecting', 'active', 'reverting'];

/** How the i-th host kills itself: spread over the three phases, the moment random inside each. */
function killPlan(i: number): Pick<HostChildArgs, 'selfKill' | 'duration'> {
  const aim = PHASES[i % 3]!;
  if (aim === 'injecting')
    return { selfKill: { on: 'fault.injecting', count: pick(1, FAULTS), delayMs: pick(0, 12) } };
  if (aim === 'active')
    return { selfKill: { on: 'fault.injected', count: FAULTS, delayMs: pick(0, 1500) }, duration: '3s' };
  return {
    selfKill: { on: 'fault.reverting', count: pick(1, FAULTS), delayMs: pick(0, 8) },
    duration: '300ms',
  };
}

interface Sample {
  phase: Phase;
  /** Kill → the last object seen gone (fill file polled, nft table deletion from nft monitor). */
  cleanMs: number;
  /** Kill → the sentinel saw the pipe close. */
  noticedMs: number;
  /** Kill → the sentinel logged every entry reverted. */
  sentinelMs: number;
  /** The sentinel's start-up + pack import (ms since its process began). */
  sentinelReadyMs: number;
  leftovers: string[];
}

const pair = await makeNetnsPair({ prefix: 'crash' });
const root = await mkdtemp('/tmp/crash-bench-');
const fillDir = join(root, 'fill');
const samples: Sample[] = [];
// nft events in the namespace, as they happen: table name → add/delete moments
const tableEvents = new Map<string, { added?: number; deleted?: number }>();
const monitor = pair.spawn(pair.a, 'nft', ['monitor', 'tables']);
let monitorBuf = '';
monitor.stdout!.on('data', (d) => {
  const at = preciseNow();
  monitorBuf += d;
  for (let i = monitorBuf.indexOf('\n'); i >= 0; i = monitorBuf.indexOf('\n')) {
    const m = /^(add|delete) table \S+ (\S+)/.exec(monitorBuf.slice(0, i));
    monitorBuf = monitorBuf.slice(i + 1);
    if (!m) continue;
    const e = tableEvents.get(m[2]!) ?? {};
    if (m[1] === 'add') e.added = at;
    else e.deleted = at;
    tableEvents.set(m[2]!, e);
  }
});

try {
  await mkdir(fillDir);
  await sleep(300); // nft monitor is listening
  for (let i = 0; i < RUNS; i++) {
    const stateDir = join(root, `state-${i}`);
    const host = startHostChild({
      stateDir,
      net: { namespace: pair.a, iface: pair.vethA, dest: pair.ipB },
      fillDir,
      fillSize: '8MiB',
      ...(CPU ? { cpuLoad: 10 } : {}),
      ...killPlan(i),
    });
    const started = await host.waitFor((l) => 'started' in l, 'the run start', 60_000);
    const killing = await host.waitFor((l) => 'killing' in l, 'the self-kill', 60_000);
    await host.exited;
    const killAt = killing.at;
    const seen = killing.killing as Record<string, number>;
    const phase: Phase =
      seen['fault.injected']! < FAULTS ? 'injecting' : seen['fault.reverting']! > 0 ? 'reverting' : 'active';
    const prefix = runPrefix(started.started);
    const fill = join(fillDir, `${prefix}fill.fill`);
    const table = `${prefix}loss`;
    const cgroups = () => cgroupRoots().flatMap((r) => readdirSync(r).filter((n) => n.startsWith(prefix)));
    // poll every ~2 ms until the fill, the cgroups and the table are gone (or 5 s)
    let lastSeen = killAt;
    const deadline = killAt + 5000;
    for (;;) {
      const now = preciseNow();
      const t = tableEvents.get(table);
      const tableThere = t?.added !== undefined && (t.deleted === undefined || t.deleted < t.added);
      if (existsSync(fill) || (CPU && cgroups().length > 0)) lastSeen = now;
      if (tableThere) lastSeen = now;
      else if (t?.deleted !== undefined && t.deleted > lastSeen) lastSeen = t.deleted;
      if (now - lastSeen > 50 || now > deadline) break; // 50 ms of nothing left: done
      await sleep(2);
    }
    // the sentinel's record of it, then the full scan: the scanner, the raw views, the journal
    let log = sentinelLog(stateDir);
    for (let k = 0; k < 250 && !log.some((l) => l.what === 'reverted'); k++) {
      await sleep(20);
      log = sentinelLog(stateDir);
    }
    const at = (what: string) => {
      const l = log.find((x) => x.what === what);
      return l ? Date.parse(l.at) - killAt : Number.NaN;
    };
    const cpu = host.lines.find((l) => l.event === 'fault.injected' && l.stepId === 'cpu');
    const leftovers = await whatIsLeft({
      runId: started.started,
      stateDir,
      pair,
      fillDir,
      ...(cpu ? { processes: stressProcesses(cpu.receipt) } : {}),
    });
    samples.push({
      phase,
      cleanMs: lastSeen - killAt,
      noticedMs: at('host-gone'),
      sentinelMs: at('reverted'),
      sentinelReadyMs: log.find((l) => l.what === 'pack-loaded')?.ms ?? Number.NaN,
      leftovers,
    });
    if (leftovers.length) {
      console.error(`run ${i} (${phase}) left: ${leftovers.join('; ')}`);
      console.error(`  sentinel log: ${JSON.stringify(log)}\n  host said: ${JSON.stringify(host.lines)}`);
      const rt = await createRuntime({ packs: [linuxPack, probesPack], stateDir, sentinel: false });
      await rt.close();
    }
    process.stderr.write(
      `run ${i + 1}/${RUNS} ${phase.padEnd(9)} clean ${(lastSeen - killAt).toFixed(1)} ms, left ${leftovers.length}\n`,
    );
  }
} finally {
  monitor.kill('SIGKILL');
  await pair.destroy();
  await rm(root, { recursive: true, force: true });
}

const q = (xs: number[], p: number) => {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! : Number.NaN;
};
const f = (x: number) => (Number.isNaN(x) ? '–' : x.toFixed(0));
const row = (name: string, xs: Sample[]) => {
  const c = xs.map((s) => s.cleanMs);
  return `| ${name} | ${xs.length} | ${xs.reduce((n, s) => n + s.leftovers.length, 0)} | ${f(q(c, 50))} | ${f(q(c, 90))} | ${f(q(c, 99))} | ${f(Math.max(...c))} | ${f(
    q(
      xs.map((s) => s.noticedMs),
      50,
    ),
  )} | ${f(
    q(
      xs.map((s) => s.sentinelMs),
      50,
    ),
  )} / ${f(
    q(
      xs.map((s) => s.sentinelMs),
      99,
    ),
  )} |`;
};
console.log(
  `\nCrash recovery, ${RUNS} SIGKILLs (faults: network loss in a namespace, disk fill${CPU ? ', CPU stress' : ''}; seed ${arg('seed', 1)})\n`,
);
console.log(
  '| killed while | runs | leftovers | kill → clean p50 (ms) | p90 | p99 | max | kill → sentinel notices p50 | kill → sentinel logged reverted p50 / p99 |',
);
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const p of PHASES) {
  const xs = samples.filter((s) => s.phase === p);
  if (xs.length) console.log(row(p, xs));
}
console.log(row('all', samples));
const ready = samples.map((s) => s.sentinelReadyMs);
console.log(
  `\nsentinel start-up until the packs are loaded (node + tsx from source): p50 ${f(q(ready, 50))} ms, p99 ${f(q(ready, 99))} ms — every run waits for it before its first inject`,
);
const left = samples.reduce((n, s) => n + s.leftovers.length, 0);
const p99 = q(
  samples.map((s) => s.cleanMs),
  99,
);
console.log(`\ntargets: leftovers 0 → ${left}; p99 ≤ 200 ms → ${f(p99)} ms`);
process.exitCode = left === 0 ? 0 : 1;
