// The systemd container that service and agent tests boot: a real systemd, units, restart, reboot,
// binds, the host's node inside, and nothing left behind — also when the test process dies.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alive, until } from './poll.js';
import {
  bootContainer,
  ensureImage,
  type SystemdContainer,
  systemdContainerSupport,
} from './systemd-container.js';
import { stateDir, sweepStale } from './systemd-container-state.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const support = await systemdContainerSupport();
if (!support.available) console.log(`systemd-container tests skipped: ${support.reason}`);

const times: Record<string, number> = {};
async function timed<T>(step: string, f: () => Promise<T>): Promise<T> {
  const t = Date.now();
  try {
    return await f();
  } finally {
    times[step] = Date.now() - t;
  }
}
/** Processes whose command line names the container: nspawn (via its machine name and state dir). */
const processesOf = (name: string) =>
  readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(name);
      } catch {
        return false;
      }
    });
const mountsOf = (name: string) =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.includes(name));

const BOOT_UNIT = `[Unit]
Description=counts its starts in a file
[Service]
Type=simple
ExecStartPre=/bin/sh -c 'echo start >> /var/lib/fl-boot.count'
ExecStart=/bin/sleep infinity
[Install]
WantedBy=multi-user.target
`;
const RESTART_UNIT = '[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n';

describe.skipIf(!support.available)('a systemd container', { timeout: 120_000 }, () => {
  let c: SystemdContainer;
  let image: string;
  let shared: string;

  beforeAll(async () => {
    image = await timed('image (already built: cached)', () => ensureImage());
    shared = await mkdtemp(join(tmpdir(), 'fl-shared-'));
    await writeFile(join(shared, 'hello.txt'), 'from the host\n');
    c = await timed('boot to running', () =>
      bootContainer({
        name: 'selftest',
        units: [
          { name: 'fl-boot.service', content: BOOT_UNIT, enable: true },
          { name: 'fl-restart.service', content: RESTART_UNIT, enable: true },
        ],
        files: [{ path: '/etc/fl/secret.conf', content: 'k=v\n', mode: 0o600 }],
        binds: [
          { source: shared, target: '/mnt/shared', readOnly: true },
          { source: realpathSync(process.execPath), target: '/usr/bin/node', readOnly: true },
          { source: repo, target: repo, readOnly: true },
        ],
      }),
    );
  }, 300_000);

  afterAll(async () => {
    await c?.stop();
    if (shared) await rm(shared, { recursive: true, force: true });
    console.log(`systemd-container timings (ms): ${JSON.stringify(times)}`);
  });

  it('boots a real systemd with the units and files written before boot', async () => {
    expect((await c.systemctl('is-system-running')).stdout.trim()).toMatch(/^(running|degraded)$/);
    expect((await c.exec(['cat', '/proc/1/comm'])).stdout.trim()).toBe('systemd');
    expect((await c.systemctl('is-active', 'fl-boot.service', 'fl-restart.service')).stdout).toBe(
      'active\nactive\n',
    );
    expect((await c.exec(['stat', '-c', '%a %U %n', '/etc/fl/secret.conf', '/etc/fl'])).stdout).toBe(
      '600 root /etc/fl/secret.conf\n755 root /etc/fl\n',
    );
    // /root kept the image's mode although /root/... was never written: the upper dir made no 0755 /root
    expect((await c.exec(['stat', '-c', '%a', '/root'])).stdout.trim()).toBe('700');
    expect((await c.exec(['hostname'])).stdout.trim()).toBe(c.name);
    expect(readFileSync(join(c.rootDir, 'etc/fl/secret.conf'), 'utf8')).toBe('k=v\n');
  });

  it('systemctl restart gives the unit a new main PID', async () => {
    const mainPid = async () =>
      Number((await c.systemctl('show', '-p', 'MainPID', '--value', 'fl-restart')).stdout);
    const before = await mainPid();
    const r = await timed('systemctl restart', () => c.systemctl('restart', 'fl-restart.service'));
    expect(r.exitCode).toBe(0);
    const after = await mainPid();
    expect(before).toBeGreaterThan(1);
    expect(after).toBeGreaterThan(1);
    expect(after).not.toBe(before);
  });

  it('a read-only bind is visible and read-only', async () => {
    expect((await c.exec(['cat', '/mnt/shared/hello.txt'])).stdout).toBe('from the host\n');
    const w = await c.exec(['touch', '/mnt/shared/x']);
    expect(w.exitCode).not.toBe(0);
    expect(w.stderr).toMatch(/Read-only file system/);
  });

  it("runs the host's node binary inside, on the bound repository", async () => {
    const script = `console.log(JSON.stringify([process.version, require(${JSON.stringify(join(repo, 'package.json'))}).name]))`;
    const r = await c.exec(['/usr/bin/node', '-e', script]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual([process.version, 'faultline-monorepo']);
    expect((await c.exec(['node', '-e', 'process.exit(3)'])).exitCode).toBe(3);
  });

  it('reboot is a real boot of its systemd: ExecStartPre runs again, the disk stays, the image is untouched', async () => {
    expect((await c.exec(['cat', '/var/lib/fl-boot.count'])).stdout).toBe('start\n');
    await c.exec(['sh', '-c', 'echo kept > /var/lib/fl-state']);
    const pid1 = c.pid1;
    await timed('reboot to running', () => c.reboot());
    expect(c.pid1).not.toBe(pid1);
    expect(alive(pid1)).toBe(false);
    expect((await c.exec(['cat', '/var/lib/fl-boot.count'])).stdout).toBe('start\nstart\n');
    expect((await c.exec(['cat', '/var/lib/fl-state'])).stdout).toBe('kept\n');
    expect(
      (await c.exec(['journalctl', '--list-boots', '--no-pager', '-q'])).stdout.trim().split('\n'),
    ).toHaveLength(2);
    expect((await c.systemctl('is-active', 'fl-boot.service')).stdout).toBe('active\n');
    for (const p of [
      'var/lib/fl-boot.count',
      'var/lib/fl-state',
      'etc/fl',
      'etc/systemd/system/fl-boot.service',
    ]) {
      expect(existsSync(join(image, p)), p).toBe(false);
    }
  });

  it('stop powers off and leaves no process, mount or temp dir; a second stop is a no-op', async () => {
    const pid1 = c.pid1;
    expect(processesOf(stateDir(c.name)).length).toBeGreaterThan(0);
    await timed('stop', () => c.stop());
    expect(alive(pid1)).toBe(false);
    expect(processesOf(stateDir(c.name))).toEqual([]);
    expect(mountsOf(c.name)).toEqual([]);
    expect(existsSync(stateDir(c.name))).toBe(false);
    await c.stop();
    await expect(c.exec(['true'])).rejects.toThrow(/not running/);
  });
});

describe.skipIf(!support.available)('a boot that cannot succeed', () => {
  it("fails with nspawn's reason and leaves nothing", { timeout: 60_000 }, async () => {
    const logged: string[] = [];
    const boot = bootContainer({
      name: 'bad',
      binds: [{ source: '/nonexistent/fl', target: '/x' }],
      log: (l) => logged.push(l),
    });
    await expect(boot).rejects.toThrow(/nspawn exited \(status 1\).*console tail:.*nonexistent\/fl/s);
    const name = /fl-bad-\w+/.exec(logged.join('\n'))?.[0];
    expect(name).toBeDefined();
    expect(existsSync(stateDir(name!))).toBe(false);
    expect(processesOf(stateDir(name!))).toEqual([]);
  });

  it('times out with the jobs it waits for and the journal', { timeout: 60_000 }, async () => {
    const unit = '[Service]\nType=oneshot\nExecStart=/bin/sleep 60\n[Install]\nWantedBy=multi-user.target\n';
    const boot = bootContainer({
      name: 'slow',
      bootTimeoutMs: 3_000,
      units: [{ name: 'fl-hang.service', content: unit, enable: true }],
      log: () => {},
    });
    await expect(boot).rejects.toThrow(
      /not running within 3000 ms.*jobs:.*fl-hang\.service.*journal tail:\n\[/s,
    );
  });
});

describe.skipIf(!support.available)('containers of a test process that ends without stop()', () => {
  /** Runs the orphan fixture and returns the container it booted, with the fixture process. */
  async function orphan(mode: 'exit' | 'hang') {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'systemd-container-orphan.ts'), mode],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('\n')) resolve(out.split('\n')[0]!);
      });
      child.on('exit', (code) => reject(new Error(`orphan fixture exited ${code} before booting`)));
    });
    return { child, ...(JSON.parse(line) as { name: string; pid1: number }) };
  }

  it('are ended by the exit hook when the process exits normally', { timeout: 60_000 }, async () => {
    const o = await orphan('exit');
    await until('the container ends', () => !alive(o.pid1), 10_000);
    expect(existsSync(stateDir(o.name))).toBe(false);
  });

  it('are swept at the next boot when the process was SIGKILLed', { timeout: 60_000 }, async () => {
    const o = await orphan('hang');
    o.child.kill('SIGKILL');
    await until('the fixture is gone', () => o.child.exitCode !== null || o.child.signalCode !== null, 5_000);
    // nothing ended it: the container outlives its owner until a sweep
    await new Promise((r) => setTimeout(r, 300));
    expect(alive(o.pid1)).toBe(true);
    sweepStale(() => {});
    await until('the container ends', () => !alive(o.pid1) && !processesOf(stateDir(o.name)).length, 10_000);
    expect(existsSync(stateDir(o.name))).toBe(false);
  });
});

describe.skipIf(!support.available)('a container in a network namespace the test made', () => {
  // named like every test namespace, so that `npm run leftovers` would report them
  const suffix = randomBytes(3).toString('hex');
  const [inner, outer] = [`flctr-${suffix}-a`, `flctr-${suffix}-b`];
  const ip = (...args: string[]) => execFileSync('ip', args, { encoding: 'utf8' });

  afterAll(() => {
    for (const ns of [inner, outer]) spawnSync('ip', ['netns', 'del', ns]);
  });

  it('joins it, and reaches the far end of a veth from inside', { timeout: 60_000 }, async () => {
    ip('netns', 'add', inner);
    ip('netns', 'add', outer);
    ip(
      'link',
      'add',
      `flc${suffix}a`,
      'netns',
      inner,
      'type',
      'veth',
      'peer',
      'name',
      `flc${suffix}b`,
      'netns',
      outer,
    );
    ip('-n', inner, 'addr', 'add', '10.231.0.1/30', 'dev', `flc${suffix}a`);
    ip('-n', outer, 'addr', 'add', '10.231.0.2/30', 'dev', `flc${suffix}b`);
    for (const [ns, dev] of [
      [inner, `flc${suffix}a`],
      [outer, `flc${suffix}b`],
    ] as const) {
      ip('-n', ns, 'link', 'set', dev, 'up');
      ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
    const c = await bootContainer({ name: 'netns', networkNamespace: inner });
    try {
      expect((await c.exec(['ip', '-o', 'addr', 'show', `flc${suffix}a`])).stdout).toContain('10.231.0.1/30');
      const ping = await c.exec(['ping', '-c', '1', '-W', '2', '10.231.0.2']);
      expect(ping.stdout).toContain('1 received');
    } finally {
      await c.stop();
    }
    // the namespace was the test's: it outlives the container with its veth
    expect(ip('-n', inner, '-o', 'link', 'show', `flc${suffix}a`)).toContain(`flc${suffix}a`);
  });
});
