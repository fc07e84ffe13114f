// A control plane for the namespace tests, run inside the control namespace: it reads one JSON
// command a line on stdin and prints one JSON line per thing that happens.
//   { op: 'run', url, token, spec, heartbeat, expiry, runId? }  → { event, at } …, then { result }
//   { op: 'abort', reason }                                       → the current run's handle.abort()
//   { op: 'fetch', url, token, runId, waitMs }                    → { status }
import { createInterface } from 'node:readline';
import type { ExperimentSpec, RunHandle } from '@faultline/core';
import { remoteInfrastructure } from '../src/client.js';

const say = (x: object) => process.stdout.write(`${JSON.stringify(x)}\n`);
let current: RunHandle | undefined;

interface Command {
  op: 'run' | 'abort' | 'fetch';
  url: string;
  token: string;
  spec: ExperimentSpec;
  heartbeat?: string;
  expiry?: string;
  runId?: string;
  reason?: string;
  waitMs?: number;
}

async function handle(c: Command): Promise<void> {
  if (c.op === 'abort') return current?.abort(c.reason);
  const remote = remoteInfrastructure({
    url: c.url,
    token: c.token,
    ...(c.heartbeat ? { heartbeat: c.heartbeat } : {}),
    ...(c.expiry ? { expiry: c.expiry } : {}),
  });
  if (c.op === 'fetch') {
    say({ status: await remote.fetchRun(c.runId!, { waitMs: c.waitMs ?? 0 }) });
    return remote.close();
  }
  const run = remote.execute(c.spec, { runId: c.runId });
  current = run;
  say({ runId: run.id });
  run.events.on('*', (event) => say({ event, at: Date.now() }));
  say({ result: await run.result, at: Date.now() });
  remote.close();
}

for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  handle(JSON.parse(line) as Command).catch((e) => say({ error: String(e?.stack ?? e) }));
}
