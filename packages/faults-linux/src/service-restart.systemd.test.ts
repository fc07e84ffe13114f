// linux/service-restart against a real systemd: PID 1 here is not systemd, so one boots in a container
// (test/support/systemd-container.ts) and the fault restarts its units for real — from this process
// through `managerPid` (nsenter into the container), and from inside it where PID 1 is systemd.
// Units count their starts with timestamps, so serial and parallel are told apart by what systemd did.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isFaultlineError, parseTunables, silentLogger } from '@faultline/core';
import { faultContract } from '@faultline/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bootContainer,
  type SystemdContainer,
  systemdContainerSupport,
} from '../../../test/support/systemd-container.js';
import { testCtx } from '../test/helpers.js';
import { doctor } from './index.js';
import { type RestartReceipt, serviceRestart } from './service-restart.js';

const repo = fileURLToPath(new URL('../../..', import.meta.url));
const support = await systemdContainerSupport();
if (!support.available) console.log(`service-restart against systemd skipped: ${support.reason}`);

/** A unit that runs `sleep infinity` after `startPre`, started at boot, never refused for starting often. */
const unit = (startPre: string) => `[Unit]
StartLimitIntervalSec=0
[Service]
ExecStartPre=/bin/sh -c '${startPre}'
ExecStart=/bin/sleep infinity
[Install]
WantedBy=multi-user.target
`;
/** Each start writes `<start> <end>` of its ExecStartPre (0.4 s) to /run/<unit>.starts. */
const timedUnit = unit('a=$(date +%%s.%%N); sleep 0.4; echo "$a $(date +%%s.%%N)" >> /run/%n.starts');
/** Starts at boot; any later start fails its config check until /run/fl-bad.once is removed. */
const badUnit = unit(
  'if [ -e /run/fl-bad.once ]; then echo "config check failed: /etc/fl-bad.conf is broken" >&2; exit 1; fi; touch /run/fl-bad.once',
);

let c: SystemdContainer | undefined;
let booting: Promise<SystemdContainer> | undefined;
/** The container, booted once for the file (the contract's setup may ask before beforeAll ran). */
const container = () =>
  (booting ??= bootContainer({
    name: 'svc',
    units: [
      { name: 'fl-a.service', content: timedUnit, enable: true },
      { name: 'fl-b.service', content: timedUnit, enable: true },
      { name: 'fl-bad.service', content: badUnit, enable: true },
    ],
    binds: [
      { source: realpathSync(process.execPath), target: '/usr/bin/node', readOnly: true },
      { source: repo, target: repo, readOnly: true },
    ],
  }).then((x) => (c = x)));

afterAll(async () => {
  await c?.stop();
});

faultContract(serviceRestart, {
  pack: '@faultline/faults-linux',
  skip: support.available ? false : (support.reason ?? 'no systemd container'),
  setup: async () => ({ tunables: { services: ['fl-b.service'], managerPid: (await container()).pid1 } }),
});

const show = async (unit: string, prop: string) =>
  (await c!.systemctl('show', '-p', prop, '--value', unit)).stdout.trim();
const mainPid = async (unit: string) => Number(await show(unit, 'MainPID'));
/** The [start, end] of each ExecStartPre run of a unit, in seconds. */
const starts = async (unit: string) =>
  (await c!.exec(['cat', `/run/${unit}.starts`])).stdout
    .trim()
    .split('\n')
    .map((l) => l.split(' ').map(Number) as [number, number]);
const ctxFor = (tunables: object) => testCtx('svc', parseTunables(serviceRestart, tunables));
async function thrown(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe.skipIf(!support.available)(
  'linux/service-restart against a real systemd',
  { timeout: 60_000 },
  () => {
    beforeAll(async () => {
      await container();
    }, 300_000);

    it('check() and doctor(): PID 1 here is not systemd, and they say how to reach the container', async () => {
      const pid1 = c!.pid1;
      const signal = new AbortController().signal;
      const here = await serviceRestart.check!({ signal, log: silentLogger });
      expect(here.available).toBe(false);
      expect(here.reason).toMatch(
        new RegExp(
          `systemd runs as PID 1 of a container here: .*host pid ${pid1} \\(hostname '${c!.name}'\\)`,
        ),
      );
      expect(here.fix).toMatch(/managerPid: \d+/);
      const there = await serviceRestart.check!({
        signal,
        log: silentLogger,
        tunables: { services: ['x'], mode: 'serial', gap: '0ms', managerPid: pid1 },
      });
      expect(there).toMatchObject({ available: true });
      expect(there.reason).toContain(`host pid ${pid1}`);
      const row = (await doctor()).faults.find((f) => f.kind === 'linux/service-restart')!;
      expect(`${row.reason} ${row.fix}`).toContain(`host pid ${pid1}`);
      expect(row.fix).toMatch(/docker inspect|machinectl/);
      // a pid that is not a container's systemd is refused with the reason
      const bad = await serviceRestart.check!({
        signal,
        log: silentLogger,
        tunables: { services: ['x'], mode: 'serial', gap: '0ms', managerPid: process.pid },
      });
      expect(bad.available).toBe(false);
      expect(bad.reason).toMatch(/not systemd/);
    });

    it('serial: each unit restarted, one after the other, main PIDs changed', async () => {
      const before = { a: await mainPid('fl-a.service'), b: await mainPid('fl-b.service') };
      const ctx = ctxFor({ services: ['fl-a.service', 'fl-b.service'], gap: '200ms', managerPid: c!.pid1 });
      const r = await serviceRestart.inject(ctx);
      expect(r.restarted).toEqual(['fl-a.service', 'fl-b.service']);
      expect(r.manager).toMatchObject({ pid: c!.pid1, hostname: c!.name });
      const after = { a: await mainPid('fl-a.service'), b: await mainPid('fl-b.service') };
      expect(after.a).not.toBe(before.a);
      expect(after.b).not.toBe(before.b);
      expect(r.mainPids).toEqual({
        'fl-a.service': [before.a, after.a],
        'fl-b.service': [before.b, after.b],
      });
      // systemd's own timestamps: b's start began after a's had ended, plus the gap
      const [a, b] = [(await starts('fl-a.service')).at(-1)!, (await starts('fl-b.service')).at(-1)!];
      expect(b[0] - a[1]).toBeGreaterThanOrEqual(0.19);
      await serviceRestart.revert(r, ctx);
      expect(await mainPid('fl-a.service'), 'revert leaves running units alone').toBe(after.a);
    });

    it('parallel: the restarts overlap', async () => {
      const ctx = ctxFor({
        services: ['fl-a.service', 'fl-b.service'],
        mode: 'parallel',
        managerPid: c!.pid1,
      });
      const before = await mainPid('fl-a.service');
      const r = await serviceRestart.inject(ctx);
      expect(r.restarted.sort()).toEqual(['fl-a.service', 'fl-b.service']);
      expect(await mainPid('fl-a.service')).not.toBe(before);
      const [a, b] = [(await starts('fl-a.service')).at(-1)!, (await starts('fl-b.service')).at(-1)!];
      // each ExecStartPre takes 0.4 s: in parallel, each began before the other ended
      expect(a[0]).toBeLessThan(b[1]);
      expect(b[0]).toBeLessThan(a[1]);
      await serviceRestart.revert(r, ctx);
    });

    it('a unit that fails to restart: FL_INJECT with systemd’s reason; serial stops there; revert starts it once it can', async () => {
      const bBefore = await mainPid('fl-b.service');
      const ctx = ctxFor({
        services: ['fl-a.service', 'fl-bad.service', 'fl-b.service'],
        managerPid: c!.pid1,
      });
      const e = await thrown(serviceRestart.inject(ctx));
      expect(isFaultlineError(e, 'FL_INJECT')).toBe(true);
      const msg = (e as Error).message;
      expect(msg).toContain('systemctl restart fl-bad.service');
      expect(msg).toMatch(/the unit is now (failed|inactive)\/\w+ \(result exit-code\)/);
      expect(msg).toContain('journalctl -u fl-bad.service');
      expect(msg).toContain('serial mode stops here (restarted before it: fl-a.service)');
      expect(await mainPid('fl-b.service'), 'fl-b was not restarted').toBe(bBefore);
      // the inject threw: revert has no receipt, only the tunables; fl-bad still cannot start
      const revertErr = await thrown(serviceRestart.revert(undefined, ctx));
      expect(isFaultlineError(revertErr, 'FL_REVERT')).toBe(true);
      expect((revertErr as Error).message).toContain('systemctl start fl-bad.service');
      expect(serviceRestart.manual(undefined, ctx)).toContain(
        `nsenter --target ${c!.pid1} --all -- systemctl start -- fl-bad.service`,
      );
      await c!.exec(['rm', '/run/fl-bad.once']); // the operator fixes the config
      await serviceRestart.revert(undefined, ctx);
      expect(await show('fl-bad.service', 'ActiveState')).toBe('active');
    });

    it('parallel with a failing unit: the others are restarted, the error names the one that failed', async () => {
      const before = await mainPid('fl-a.service');
      const ctx = ctxFor({
        services: ['fl-bad.service', 'fl-a.service'],
        mode: 'parallel',
        managerPid: c!.pid1,
      });
      const e = await thrown(serviceRestart.inject(ctx));
      expect((e as Error).message).toMatch(
        /FL_INJECT: linux\/service-restart: 1 of 2 restarts failed: systemctl restart fl-bad\.service/,
      );
      expect(await mainPid('fl-a.service')).not.toBe(before);
      await c!.exec(['rm', '/run/fl-bad.once']);
      await serviceRestart.revert(undefined, ctx);
      expect(await show('fl-bad.service', 'ActiveState')).toBe('active');
    });

    it('revert starts a unit that stayed down; a receipt whose container is gone is a no-op', async () => {
      const ctx = ctxFor({ services: ['fl-a.service'], managerPid: c!.pid1 });
      const r = await serviceRestart.inject(ctx);
      await c!.systemctl('stop', 'fl-a.service'); // it did not come back
      await serviceRestart.revert(r, ctx);
      expect(await show('fl-a.service', 'ActiveState')).toBe('active');
      await c!.systemctl('stop', 'fl-a.service');
      // the same pid with another start time: a container that rebooted started its units itself
      const stale: RestartReceipt = { ...r, manager: { ...r.manager!, startTime: '1' } };
      await serviceRestart.revert(stale, ctx);
      expect(await show('fl-a.service', 'ActiveState')).toBe('inactive');
      await c!.systemctl('start', 'fl-a.service');
    });

    it('inside the container, where PID 1 is systemd (the common case), with no managerPid', async () => {
      const before = await mainPid('fl-b.service');
      const r = await c!.exec(
        [
          // from the repository (the bind mount), as a user's program runs from its own directory
          'env',
          '-C',
          repo,
          '/usr/bin/node',
          '--conditions=@faultline/source',
          '--import',
          'tsx',
          `${repo}packages/faults-linux/test/service-restart-inside.ts`,
          JSON.stringify({ services: ['fl-b.service'] }),
        ],
        { timeoutMs: 60_000, env: { HOME: '/tmp' } },
      );
      expect(r.stderr).toBe('');
      const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as {
        check: { available: boolean };
        receipt: RestartReceipt;
      };
      expect(out.check.available).toBe(true);
      expect(out.receipt.manager).toBeNull();
      const after = await mainPid('fl-b.service');
      expect(out.receipt.mainPids).toEqual({ 'fl-b.service': [before, after] });
      expect(after).not.toBe(before);
    });
  },
);
