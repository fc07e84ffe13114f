import { readFileSync } from 'node:fs';
import { parseTunables, silentLogger } from '@faultline/core';
import { faultContract } from '@faultline/core/testing';
import { describe, expect, it } from 'vitest';
import { testCtx } from '../test/helpers.js';
import type { CommandResult } from './exec.js';
import { restartServices, serviceRestart, startInactive, systemdCapability } from './service-restart.js';

const pid1 = readFileSync('/proc/1/comm', 'utf8').trim();
const noSystemd =
  pid1 === 'systemd'
    ? false
    : `PID 1 is '${pid1}', not systemd (and tests never restart the host's services)`;

// Restarting real units would touch the host: the contract runs only where a test unit could be made.
faultContract(serviceRestart, {
  pack: '@faultline/faults-linux',
  skip: noSystemd || 'restarting real systemd units would touch this host',
  setup: async () => ({ tunables: { services: ['faultline-test.service'] } }),
});

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
    expect(systemdCapability('init').available).toBe(false);
    expect(systemdCapability('systemd').available).toBe(true);
  });

  it('builds serial and parallel restarts, and revert starts only what is down (argv only)', async () => {
    const serial = fakeSystemctl({});
    const t = parseTunables(serviceRestart, { services: ['a.service', 'b@1.service'], gap: '10ms' });
    expect(await restartServices(t, serial.exec)).toEqual(['a.service', 'b@1.service']);
    expect(serial.calls).toEqual([
      ['systemctl', 'restart', '--', 'a.service'],
      ['systemctl', 'restart', '--', 'b@1.service'],
    ]);
    const par = fakeSystemctl({});
    await restartServices({ ...t, mode: 'parallel' }, par.exec);
    expect(par.calls).toHaveLength(2);
    const rev = fakeSystemctl({ 'a.service': true, 'b@1.service': false });
    await startInactive(t.services, rev.exec);
    expect(rev.calls.filter((c) => c[1] === 'start')).toEqual([['systemctl', 'start', '--', 'b@1.service']]);
  });

  it('rejects unit names a shell or systemctl could misread', () => {
    for (const s of [['a b'], ['x;reboot'], ['-H', 'host'], [], ['$(id)']]) {
      expect(() => parseTunables(serviceRestart, { services: s }), JSON.stringify(s)).toThrow(/FL_TUNABLES/);
    }
  });
});
