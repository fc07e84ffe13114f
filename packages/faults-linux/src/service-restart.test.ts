import { readFileSync } from 'node:fs';
import { parseTunables, silentLogger } from '@faultline/core';
import { describe, expect, it } from 'vitest';
import { testCtx } from '../test/helpers.js';
import type { CommandResult } from './exec.js';
import { systemctlArgv } from './host/systemd.js';
import { restartServices, serviceRestart, startInactive, systemdCapability } from './service-restart.js';

const pid1 = readFileSync('/proc/1/comm', 'utf8').trim();

// the fault contract and the real restarts run against a systemd in a container:
// service-restart.systemd.test.ts. Here: the argv, the schema, and what happens without systemd.

/** A fake systemctl that records argv and answers is-active from a table (argv building only). */
function fakeSystemctl(active: Record<string, boolean>) {
  const calls: string[][] = [];
  const exec = async (file: string, args: readonly string[]): Promise<CommandResult> => {
    calls.push([file, ...args]);
    const unit = args[args.length - 1]!;
    const ok = args[0] !== 'is-active' || active[unit] === true;
    if (args[0] === 'start') active[unit] = true;
    return { exitCode: ok ? 0 : 3, stdout: '', stderr: '', command: [file, ...args].join(' ') };
  };
  return { calls, exec };
}

describe('linux/service-restart', () => {
  it('check() says why not when PID 1 is not systemd, and inject refuses with FL_CAPABILITY', async () => {
    const cap = await serviceRestart.check!({ signal: new AbortController().signal, log: silentLogger });
    expect(cap.available).toBe(pid1 === 'systemd');
    if (pid1 !== 'systemd') {
      expect(cap.reason).toContain(`PID 1 is '${pid1}'`);
      const ctx = testCtx('svc', parseTunables(serviceRestart, { services: ['nginx'] }));
      await expect(serviceRestart.inject(ctx)).rejects.toMatchObject({ code: 'FL_CAPABILITY' });
      await serviceRestart.revert(undefined, ctx); // nothing could have been restarted: a no-op
    }
    const none = await systemdCapability(undefined, 'init', async () => []);
    expect(none.available).toBe(false);
    expect(none.fix).toMatch(/managerPid: <pid>/);
    expect((await systemdCapability(undefined, 'systemd')).available).toBe(true);
  });

  it('builds serial and parallel restarts, and revert starts only what is down (argv only)', async () => {
    const serial = fakeSystemctl({});
    const t = parseTunables(serviceRestart, { services: ['a.service', 'b@1.service'], gap: '10ms' });
    expect((await restartServices(t, serial.exec)).map((r) => r.unit)).toEqual(['a.service', 'b@1.service']);
    // each restart reads the main PID before and after
    expect(serial.calls).toEqual([
      ['systemctl', 'show', '-p', 'MainPID', '--value', '--', 'a.service'],
      ['systemctl', 'restart', '--', 'a.service'],
      ['systemctl', 'show', '-p', 'MainPID', '--value', '--', 'a.service'],
      ['systemctl', 'show', '-p', 'MainPID', '--value', '--', 'b@1.service'],
      ['systemctl', 'restart', '--', 'b@1.service'],
      ['systemctl', 'show', '-p', 'MainPID', '--value', '--', 'b@1.service'],
    ]);
    const par = fakeSystemctl({});
    await restartServices({ ...t, mode: 'parallel' }, par.exec);
    expect(par.calls.filter((c) => c[1] === 'restart')).toHaveLength(2);
    const rev = fakeSystemctl({ 'a.service': true, 'b@1.service': false });
    await startInactive(t.services, rev.exec);
    expect(rev.calls.filter((c) => c[1] === 'start')).toEqual([['systemctl', 'start', '--', 'b@1.service']]);
  });

  it('reaches a systemd that is not PID 1 here through nsenter into its namespaces (argv only)', () => {
    const m = { pid: 4242, startTime: '1', comm: 'systemd', hostname: 'c1' };
    expect(systemctlArgv(m, ['restart', '--', 'a.service'])).toEqual([
      'nsenter',
      ['--target', '4242', '--all', '--', 'systemctl', 'restart', '--', 'a.service'],
    ]);
    expect(systemctlArgv(null, ['start', '--', 'a.service'])).toEqual([
      'systemctl',
      ['start', '--', 'a.service'],
    ]);
    for (const bad of [1, 0, -5, 1.5, 5_000_000, '42'])
      expect(() => parseTunables(serviceRestart, { services: ['a'], managerPid: bad }), String(bad)).toThrow(
        /FL_TUNABLES/,
      );
  });

  it('rejects unit names a shell or systemctl could misread', () => {
    for (const s of [['a b'], ['x;reboot'], ['-H', 'host'], [], ['$(id)']]) {
      expect(() => parseTunables(serviceRestart, { services: s }), JSON.stringify(s)).toThrow(/FL_TUNABLES/);
    }
  });
});
