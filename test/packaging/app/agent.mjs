// The agent as a user installs it: the `faultline-agent` bin from the tarball (plain node), started
// as a daemon, and a control plane using @faultline/agent/client to run a fill through it.
//   node agent.mjs <dir> <stateDir>
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { remoteInfrastructure } from '@faultline/agent/client';
import { experiment } from '@faultline/core';

const [dir, stateDir] = process.argv.slice(2);
const bin = 'node_modules/.bin/faultline-agent';
const token = 'packaged-agent-token-0123456789';
const agent = spawn(bin, ['--listen', '127.0.0.1:0', '--state-dir', stateDir], {
  env: { ...process.env, FAULTLINE_AGENT_TOKEN: token },
  stdio: ['ignore', 'pipe', 'inherit'],
});
let url;
for await (const line of createInterface({ input: agent.stdout })) {
  url = /listening on (\S+)/.exec(line)?.[1];
  if (url) break;
}
const remote = remoteInfrastructure({ url, token });
const info = await remote.describe();
const spec = experiment('packaged agent')
  .fault(
    { kind: 'linux/disk-fill', tunables: { path: dir, size: '1MiB', safetyFloor: '1MiB' } },
    { duration: '300ms' },
  )
  .build();
const run = remote.execute(spec, {});
const types = [];
for await (const e of run.events) types.push(e.type);
const result = await run.result;
remote.close();
agent.kill('SIGTERM');
const [code] = await new Promise((r) => agent.once('exit', (...a) => r(a)));
const unit = execFileSync(bin, ['unit'], { encoding: 'utf8' });
console.log(
  JSON.stringify({
    packs: info.packs,
    verdict: result.verdict,
    types,
    dirAfter: readdirSync(dir),
    exitCode: code,
    execStart: /^ExecStart=(\S+)/m.exec(unit)?.[1],
  }),
);
