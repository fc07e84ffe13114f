// Fails (exit 1) when faultline left anything on this machine: nft tables, qdiscs, ifb devices,
// cgroups, stress or resolver processes, paused processes, fill files — in the root namespace and in
// every named network namespace — and network namespaces and systemd containers that the tests made
// and did not remove.
//
//   npm run leftovers
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scanLeftovers } from '@faultline/faults-linux';
import { run } from '../packages/faults-linux/src/exec.js';
import { STATE_PREFIX } from '../test/support/systemd-container-state.js';

const netns = (await run('ip', ['netns', 'list'])).stdout
  .split('\n')
  .map((l) => l.split(' ')[0]!)
  .filter(Boolean);
const left = await scanLeftovers({ namespaces: netns });
// systemd containers that a test booted and never stopped (test/support/systemd-container.ts)
const containers = readdirSync(tmpdir()).filter((d) => d.startsWith(STATE_PREFIX));
// namespaces made by the test suites and the demo (their prefixes), still there after the run
const testNamespaces = netns.filter((n) => /^(fl[a-z]|demo|crash)[a-z0-9]*-[0-9a-f]+-[ab]$/.test(n));
for (const l of left) console.log(`leftover ${JSON.stringify(l)}`);
for (const n of testNamespaces) console.log(`leftover network namespace ${n} (remove: ip netns delete ${n})`);
for (const c of containers) {
  console.log(
    `leftover systemd container ${join(tmpdir(), c)} (a test did not stop() it; the next boot sweeps it)`,
  );
}
const count = left.length + testNamespaces.length + containers.length;
if (count) {
  console.log(`${count} leftovers: the code that made them must revert them`);
  process.exit(1);
}
console.log(`no leftovers (root namespace and ${netns.length} named namespaces scanned)`);
