// Pausing a service whose work is done by its children: a toy worker pool (a parent shell and two
// worker shells that write a heartbeat every 100 ms) is paused twice — with `tree: false`, the
// parent alone (the workers go on: the "service" never noticed), and with the default `tree: true`,
// the whole tree (the heartbeat stops). A probe checks the heartbeat while the pause is in effect.
//
//   npx tsx --conditions=@faultline/source examples/pause-a-worker-pool.ts    (Linux; no root needed)
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { createRuntime, definePack, defineProbe, experiment, type RunResult } from '@faultline/core';
import linuxPack, { linux } from '@faultline/faults-linux';
import * as v from 'valibot';

// two workers and a parent that waits for them, as a pre-fork server is laid out
const POOL = `work() { while :; do echo "$1" >> "$2"; sleep 0.1; done; }
work w1 "$1" & work w2 "$1" & wait`;

// a probe: did the heartbeat file grow within 400 ms?
const heartbeat = defineProbe({
  kind: 'example/heartbeat',
  summary: 'the heartbeat file grows',
  tunables: v.object({ file: v.string() }),
  async run(ctx) {
    const size = async () => (await readFile(ctx.tunables.file, 'utf8').catch(() => '')).length;
    const before = await size();
    await sleep(400, undefined, { signal: ctx.signal });
    const grew = (await size()) - before;
    return { passed: grew > 0, value: grew, message: `${grew} bytes of heartbeat in 400 ms` };
  },
});

/** Runs both pauses; returns the verdict of each. */
export async function main(): Promise<{ parentOnly: RunResult; wholeTree: RunResult }> {
  const dir = await mkdtemp(join(tmpdir(), 'faultline-pool-'));
  const file = join(dir, 'heartbeat');
  const pool = spawn('/bin/sh', ['-c', POOL, 'pool', file], { stdio: 'ignore', detached: true });
  try {
    const runtime = await createRuntime({
      packs: [linuxPack, definePack({ name: pathToFileURL(import.meta.filename).href, probes: [heartbeat] })],
      stateDir: join(dir, 'state'),
    });
    const pause = async (tree: boolean) => {
      const spec = experiment(`the pool keeps working while ${tree ? 'its tree' : 'its parent'} is paused`)
        .fault(linux.processPause({ pids: [pool.pid!], tree }), {
          duration: '1500ms',
          probes: [{ name: 'heartbeat', kind: 'example/heartbeat', tunables: { file }, mode: 'OnChaos' }],
        })
        .build();
      const result = await runtime.run(spec).result;
      const probe = result.probes.find((p) => p.probe === 'heartbeat');
      console.log(
        `tree: ${tree} → verdict ${result.verdict} (${probe?.message ?? 'no heartbeat probe ran'})`,
      );
      return result;
    };
    await sleep(300); // the workers start beating
    const parentOnly = await pause(false);
    const wholeTree = await pause(true);
    await runtime.close();
    return { parentOnly, wholeTree };
  } finally {
    process.kill(-pool.pid!, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.filename === process.argv[1]) await main();
