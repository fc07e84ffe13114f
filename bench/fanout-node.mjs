// The two sides of bench/fanout.ts that run inside namespaces, with plain node on the built packages
// (dist), as an installed agent runs:
//   node bench/fanout-node.mjs local STATE_DIR     a local runtime in a leaf namespace: one run of
//                                                  the spec per "go" line on stdin, `{"ms":…}` each
//   node bench/fanout-node.mjs control             the control plane: reads {urls, token, sizes,
//                                                  repeat, spec} on stdin, fans out, prints results
import { createInterface } from 'node:readline';
import { fanOut, remoteInfrastructure } from '@faultline/agent/client';
import { createRuntime } from '@faultline/core';
import linuxPack from '@faultline/faults-linux';
import probesPack from '@faultline/probes';

const say = (x) => process.stdout.write(`${JSON.stringify(x)}\n`);
const lines = createInterface({ input: process.stdin });
const [mode, stateDir] = process.argv.slice(2);

if (mode === 'local') {
  // a supervised agent's configuration, minus the HTTP: same packs, no sentinel, no signal handlers,
  // recovery of its journal only (a leftovers scan here would look into every namespace of the star)
  const runtime = await createRuntime({
    packs: [linuxPack, probesPack],
    stateDir,
    sentinel: false,
    signals: false,
    recover: { leftovers: false },
  });
  let spec;
  say({ ready: true });
  for await (const line of lines) {
    const msg = JSON.parse(line);
    if (msg.spec) spec = msg.spec;
    if (!msg.go) continue;
    const t0 = performance.now();
    const result = await runtime.run(spec).result;
    say({ ms: performance.now() - t0, verdict: result.verdict });
  }
  await runtime.close();
} else if (mode === 'control') {
  for await (const line of lines) {
    const { urls, token, sizes, repeat, spec } = JSON.parse(line);
    const infras = urls.map((url) => remoteInfrastructure({ url, token }));
    const once = async (n) => {
      const t0 = performance.now();
      const out = fanOut(spec, infras.slice(0, n));
      const perAgent = [];
      out.on((e) => {
        if (e.event.type === 'run.finished') perAgent.push(performance.now() - t0);
      });
      const results = await out.results;
      const total = performance.now() - t0;
      // a run that did not pass (a lease lost under load, say) is counted and named, not hidden
      const failed = results.filter((r) => r.result.verdict !== 'Pass');
      const why = [...new Set(failed.map((r) => `${r.result.verdict} ${r.result.error?.code ?? ''}`.trim()))];
      return { total, perAgent, notPass: failed.length, why };
    };
    say({ warmup: await once(urls.length) });
    for (const n of sizes) for (let k = 0; k < repeat; k++) say({ n, k, ...(await once(n)) });
    for (const i of infras) i.close();
    say({ done: true });
    break;
  }
}
