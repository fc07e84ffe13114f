// Users often run faultline under `ip netns exec`, which remounts /sys for the namespace: the cgroup
// mounts vanish and the stress faults cannot work. Their check() must say so, and how to get in instead.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../../../../', import.meta.url));
const stressTs = fileURLToPath(new URL('./stress.ts', import.meta.url));
const root = process.getuid?.() === 0;

it.skipIf(!root)(
  'under `ip netns exec` the stress check says cgroups are hidden and to use nsenter; under nsenter --net they are there',
  ({ onTestFinished }) => {
    const ns = `flnx-${randomBytes(3).toString('hex')}`;
    execFileSync('ip', ['netns', 'add', ns]);
    const script = fileURLToPath(new URL(`./.netns-check-${ns}.ts`, import.meta.url));
    onTestFinished(() => {
      rmSync(script, { force: true });
      spawnSync('ip', ['netns', 'del', ns]);
    });
    writeFileSync(
      script,
      `import { stressCheck } from ${JSON.stringify(stressTs)};\n` +
        'console.log(JSON.stringify(await stressCheck(new AbortController().signal)));\n',
    );
    const node = [process.execPath, '--import', 'tsx', '--conditions=@faultline/source', script];
    const check = (argv: string[]) => {
      const r = spawnSync(argv[0]!, argv.slice(1), { cwd: repo, encoding: 'utf8', timeout: 30_000 });
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { available: boolean; reason?: string; fix?: string };
    };

    const viaIpNetns = check(['ip', 'netns', 'exec', ns, ...node]);
    expect(viaIpNetns).toMatchObject({ available: false, reason: 'no cgroup hierarchy is mounted' });
    expect(viaIpNetns.fix).toContain(`inside \`ip netns exec\``);
    expect(viaIpNetns.fix).toContain(`nsenter --net=/var/run/netns/${ns}`);

    const viaNsenter = check(['nsenter', `--net=/var/run/netns/${ns}`, ...node]);
    expect(viaNsenter.available).toBe(true);
  },
);
