// The SQLite store from the installed tarballs, with plain node: a run journaled in SQLite and kept
// in its history, then read back as a viewer in another process would.
//   node sqlite-store.mjs <dir> <db> <stateDir>
import { readdirSync } from 'node:fs';
import { createRuntime, experiment } from '@faultline/core';
import linuxPack, { linux } from '@faultline/faults-linux';
import { sqliteStore } from '@faultline/store-sqlite';
import { appPack, resolved, watched } from './trace-probe.mjs';

const [dir, db, stateDir] = process.argv.slice(2);
const store = sqliteStore(db);
const runtime = await createRuntime({ packs: [linuxPack, appPack], journal: store.journal, store, stateDir });
const spec = experiment('packaged store')
  .fault(linux.diskFill({ path: dir, size: '8MiB', safetyFloor: '64MiB' }), watched({ dir }, '500ms'))
  .build();
const run = runtime.run(spec);
const live = [];
run.events.on('*', (ev) => live.push(ev));
const result = await run.result;
await runtime.close();
await store.close();

const viewer = sqliteStore(db, { readonly: true });
const stored = await viewer.events(result.runId);
const record = await viewer.run(result.runId);
const pending = await viewer.pendingEntries();
const runs = await viewer.runs();
await viewer.close();
console.log(
  JSON.stringify({
    verdict: result.verdict,
    score: result.score,
    live: live.map((e) => [e.seq, e.type]),
    storedEqualsLive: JSON.stringify(stored) === JSON.stringify(live),
    stored: stored.map((e) => [e.seq, e.type]),
    record: { verdict: record?.verdict, score: record?.score, experiment: record?.experiment },
    runs: runs.map((r) => r.runId),
    runId: result.runId,
    pending: pending.length,
    dirAfter: readdirSync(dir),
    resolved: resolved('@faultline/core', '@faultline/store-sqlite'),
  }),
);
