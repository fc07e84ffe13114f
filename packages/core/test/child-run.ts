// A host process for the recovery and crash tests: it runs an experiment on a FileJournal and tells
// the parent (one JSON line each) when the fault is injecting, injected and reverting, so the parent
// can kill it at that moment for real.
import { createRuntime, experiment, faultRef } from '../src/index.js';
import { pack, touchFiles } from './pack.js';

interface Options {
  sentinel?: boolean;
  count?: number;
  injectDelayMs?: number;
  revertDelayMs?: number;
  duration?: string;
  /** Stay alive this long after the run, reporting the SIGINT listeners then and at the end. */
  idleMs?: number;
}
const [stateDir, dir, json] = process.argv.slice(2) as [string, string, string | undefined];
const o: Options = json ? JSON.parse(json) : {};
const rt = await createRuntime({ packs: [pack], stateDir, sentinel: o.sentinel ?? false });
const tunables = {
  dir,
  count: o.count ?? 3,
  injectDelayMs: o.injectDelayMs ?? 0,
  revertDelayMs: o.revertDelayMs ?? 0,
};
const run = rt.run(
  experiment('killed')
    .fault(faultRef(touchFiles, tunables), { id: 'victim', duration: o.duration ?? '60s' })
    .build(),
);
const say = (x: object) =>
  process.stdout.write(`${JSON.stringify({ ...x, runId: run.id, sentinel: rt.sentinelPid })}\n`);
run.events.on('fault.injecting', (e) => say({ injecting: e.entryId }));
run.events.on('fault.injected', (e) => say({ injected: e.entryId }));
run.events.on('fault.reverting', (e) => say({ reverting: e.entryId }));
const result = await run.result;
say({ verdict: result.verdict, sigintListeners: process.listenerCount('SIGINT') });
if (o.idleMs) {
  await new Promise((r) => setTimeout(r, o.idleMs));
  say({ idleEnd: true, sigintListeners: process.listenerCount('SIGINT') });
}
await rt.close();
