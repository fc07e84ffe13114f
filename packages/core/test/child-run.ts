// A host process for the recovery tests: it runs an experiment with a long chaos window on a
// FileJournal and tells the parent when the fault is in effect, so the parent can kill it for real.
import { createRuntime, experiment, faultRef } from '../src/index.js';
import { pack, touchFiles } from './pack.js';

const [stateDir, dir] = process.argv.slice(2) as [string, string];
const rt = await createRuntime({ packs: [pack], stateDir });
const run = rt.run(
  experiment('killed')
    .fault(faultRef(touchFiles, { dir, count: 3 }), { id: 'victim', duration: '60s' })
    .build(),
);
run.events.on('fault.injected', (e) =>
  process.stdout.write(`${JSON.stringify({ injected: e.entryId, runId: e.runId })}\n`),
);
await run.result;
