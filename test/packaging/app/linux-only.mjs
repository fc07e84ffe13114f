// An experiment with @faultline/core and @faultline/faults-linux only, run with plain node from
// the installed tarballs: a disk fill in a directory and a DNS error in a network namespace (its
// resolver is a separate script that must ship in dist), together.
//   node linux-only.mjs <dir> <namespace> <stateDir>
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRuntime, experiment } from '@faultline/core';
import linuxPack, { linux, scanLeftovers } from '@faultline/faults-linux';
import { appPack, resolved, watched } from './trace-probe.mjs';

const [dir, namespace, stateDir] = process.argv.slice(2);
const runtime = await createRuntime({ packs: [linuxPack, appPack], stateDir });
const spec = experiment('packaged linux pack')
  .parallel(
    [linux.diskFill({ path: dir, size: '16MiB', safetyFloor: '64MiB' }), watched({ dir }, '700ms')],
    [linux.dnsError({ namespace, targetHostnames: ['example.test'] }), watched({ namespace }, '700ms')],
  )
  .build();
const run = runtime.run(spec);
const seen = [];
for await (const ev of run.events) seen.push(ev.type);
const result = await run.result;
await runtime.close();
const run8 = result.runId
  .replace(/[^a-z0-9]/gi, '')
  .toLowerCase()
  .slice(0, 8);
const leftovers = (await scanLeftovers({ namespaces: [namespace], allowedRoots: [dir] })).filter((l) =>
  l.name.includes(run8),
);
console.log(
  JSON.stringify({
    verdict: result.verdict,
    score: result.score,
    faults: result.faults.map((f) => [f.kind, f.status, f.error?.message]),
    probes: result.probes.map((p) => [p.probe, p.kind, p.passed, p.runs, p.message]),
    reverts: result.reverts.map((r) => [r.kind, r.ok]),
    events: seen,
    dirAfter: readdirSync(dir),
    leftovers,
    sentinelLog: readFileSync(join(stateDir, 'sentinel.log'), 'utf8'),
    resolved: resolved('@faultline/core', '@faultline/faults-linux'),
  }),
);
