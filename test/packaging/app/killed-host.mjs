// A host that is killed with SIGKILL while its fault is in effect: the sentinel (core's
// dist/sentinel-main.js) must revert it from the SQLite journal, importing the pack and the journal
// from the app's node_modules. Prints one line once the fill is in place, then waits to be killed.
//   node killed-host.mjs <dir> <db> <stateDir>
import { readdirSync } from 'node:fs';
import { createRuntime, experiment } from '@faultline/core';
import linuxPack, { linux } from '@faultline/faults-linux';
import { sqliteJournal } from '@faultline/store-sqlite';
import { appPack, watched } from './trace-probe.mjs';

const [dir, db, stateDir] = process.argv.slice(2);
const runtime = await createRuntime({ packs: [linuxPack, appPack], journal: sqliteJournal(db), stateDir });
const spec = experiment('packaged host killed')
  .fault(linux.diskFill({ path: dir, size: '8MiB', safetyFloor: '64MiB' }), watched({ dir }, '60s'))
  .build();
const run = runtime.run(spec);
run.events.on('fault.injected', () =>
  console.log(JSON.stringify({ injected: readdirSync(dir), sentinel: runtime.sentinelPid })),
);
await run.result;
