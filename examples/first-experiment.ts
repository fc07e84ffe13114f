// Your first experiment, with no root and no pack: a fault that puts a toy web service into
// maintenance mode (a flag file it reads), and a probe that checks the service still answers.
//
//   npx tsx --conditions=@faultline/source examples/first-experiment.ts
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createRuntime,
  defineFault,
  definePack,
  defineProbe,
  experiment,
  faultRef,
  type RunResult,
} from '@faultline/core';
import * as v from 'valibot';

// A fault: inject returns a receipt (plain JSON) that is all revert needs, even in another process.
const maintenance = defineFault({
  kind: 'example/maintenance-flag',
  summary: 'puts a service into maintenance mode through its flag file',
  tunables: v.object({ flag: v.string() }),
  async inject(ctx) {
    await writeFile(ctx.tunables.flag, ctx.objectName);
    return { flag: ctx.tunables.flag };
  },
  async revert(_receipt, ctx) {
    await rm(ctx.tunables.flag, { force: true });
  },
  async present(_receipt, ctx) {
    return existsSync(ctx.tunables.flag);
  },
  manual: (_receipt, ctx) => `rm -f ${ctx.tunables.flag}`,
});

// A probe: does the service answer 200?
const answers = defineProbe({
  kind: 'example/answers-200',
  summary: 'GET a URL and expect 200',
  tunables: v.object({ url: v.string() }),
  async run(ctx) {
    const res = await fetch(ctx.tunables.url, { signal: ctx.signal });
    return { passed: res.status === 200, value: res.status };
  },
});

export async function main(): Promise<RunResult> {
  const dir = await mkdtemp(join(tmpdir(), 'faultline-example-'));
  const flag = join(dir, 'maintenance');
  // the toy service: 503 while the flag file exists
  const server = createServer((_req, res) => res.writeHead(existsSync(flag) ? 503 : 200).end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  try {
    const runtime = await createRuntime({
      packs: [
        definePack({
          name: pathToFileURL(import.meta.filename).href,
          faults: [maintenance],
          probes: [answers],
        }),
      ],
      stateDir: join(dir, 'state'),
    });
    const spec = experiment('the service answers during maintenance')
      .fault(faultRef(maintenance, { flag }), {
        duration: '1s',
        probes: [
          {
            name: 'answers',
            kind: 'example/answers-200',
            tunables: { url },
            mode: 'Continuous',
            runProperties: { pollingInterval: '200ms' },
          },
        ],
      })
      .build();
    const run = runtime.run(spec);
    for await (const ev of run.events) {
      if (ev.type === 'probe.result')
        console.log(`${ev.seq}\t${ev.type}\t${ev.probe}: ${ev.passed ? 'passed' : 'FAILED'} (${ev.value})`);
      else console.log(`${ev.seq}\t${ev.type}`);
    }
    const result = await run.result;
    console.log(
      `verdict ${result.verdict}, resilience score ${result.score}; flag file left behind: ${existsSync(flag)}`,
    );
    await runtime.close();
    return result;
  } finally {
    server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.filename === process.argv[1]) await main();
