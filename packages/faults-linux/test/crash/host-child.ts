// A host process for the crash tests and the crash-recovery bench: it injects real Linux faults in one
// parallel group (network loss in a namespace the test made, CPU stress, a disk fill, a pause of a
// process the test spawned), says what happens as one JSON line per event, and can SIGKILL itself at
// an exact moment (mid-inject, mid-revert) that a parent could only hit by luck.
//
//   node --conditions=@faultline/source --import tsx host-child.ts '<HostChildArgs as JSON>'   (cwd: repo root)
import { createRuntime, experiment, type FaultInput, type StepOptions } from '@faultline/core';
import linuxPack, { linux } from '@faultline/faults-linux';
import probesPack from '@faultline/probes';
import { type HostChildArgs, preciseNow } from './harness.js';

const args = JSON.parse(process.argv[2] ?? '{}') as HostChildArgs;
const rt = await createRuntime({
  packs: [linuxPack, probesPack],
  stateDir: args.stateDir,
  sentinel: args.sentinel ?? true,
  retry: { backoffMs: 20 },
  // recovery of the state dir is the parent's business; this host only injects
  recover: false,
});

const step = (id: string): StepOptions => ({
  id,
  duration: args.duration ?? '60s',
  healthCheck: args.healthCheck ?? true,
});
const faults: Array<[FaultInput, StepOptions]> = [];
if (args.net)
  faults.push([
    linux.networkLoss({
      percent: 50,
      namespace: args.net.namespace,
      interfaces: [args.net.iface],
      destinationIps: [args.net.dest],
    }),
    step('loss'),
  ]);
if (args.cpuLoad !== undefined)
  faults.push([linux.cpuStress({ load: args.cpuLoad, workers: 1, maxDuration: '2m' }), step('cpu')]);
if (args.fillDir)
  faults.push([
    linux.diskFill({ path: args.fillDir, size: args.fillSize ?? '4MiB', safetyFloor: '256MiB' }),
    step('fill'),
  ]);
if (args.fsFill)
  faults.push([linux.fsFill({ ...args.fsFill, allowedRoots: [args.fsFill.path] }), step('fill')]);
if (args.pausePid !== undefined) faults.push([linux.processPause({ pids: [args.pausePid] }), step('pause')]);

const run = rt.run(
  experiment('a host that dies')
    .parallel(...faults)
    .build(),
);
const say = (x: object) => process.stdout.write(`${JSON.stringify({ ...x, at: preciseNow() })}\n`);
say({ started: run.id, sentinel: rt.sentinelPid, pid: process.pid, faults: faults.length });

const seen = { 'fault.injecting': 0, 'fault.injected': 0, 'fault.reverting': 0, 'fault.reverted': 0 };
const maybeKill = (type: keyof typeof seen) => {
  const k = args.selfKill;
  if (!k || k.on !== type || seen[type] !== (k.count ?? 1)) return;
  const kill = () => {
    // a pipe write is synchronous on Linux: the parent gets this line even though we die right after
    say({ killing: { ...seen } });
    process.kill(process.pid, 'SIGKILL');
  };
  if (k.delayMs) setTimeout(kill, k.delayMs);
  else kill();
};
run.events.on('fault.injecting', (e) => {
  seen['fault.injecting']++;
  say({ event: e.type, stepId: e.stepId, entryId: e.entryId });
  maybeKill('fault.injecting');
});
run.events.on('fault.injected', (e) => {
  seen['fault.injected']++;
  say({ event: e.type, stepId: e.stepId, entryId: e.entryId, receipt: e.receipt, sentinel: rt.sentinelPid });
  maybeKill('fault.injected');
});
run.events.on('fault.reverting', (e) => {
  if (e.attempt === 1) seen['fault.reverting']++;
  say({ event: e.type, stepId: e.stepId, entryId: e.entryId });
  if (e.attempt === 1) maybeKill('fault.reverting');
});
run.events.on('fault.reverted', (e) => {
  seen['fault.reverted']++;
  say({ event: e.type, stepId: e.stepId });
});
run.events.on('fault.revert_failed', (e) => say({ event: e.type, stepId: e.stepId, manual: e.manual }));
const result = await run.result;
say({ verdict: result.verdict, faults: result.faults.map((f) => [f.stepId, f.status, f.error?.message]) });
await rt.close();
