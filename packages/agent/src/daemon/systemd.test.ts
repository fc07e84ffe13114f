// The shipped unit under a real systemd: a container booted with systemd-nspawn (test/support), its
// network namespace one end of a veth pair the test made, node and the repository bind-mounted. The
// unit is what `faultline-agent unit` writes, pointed at this checkout's sources.
//  - the agent (the supervisor's child) is SIGKILLed mid-run → the fault is reverted before the new
//    agent answers /healthz;
//  - the service is killed outright (supervisor and agent) with a fault in the journal and the
//    container reboots (a real boot of its systemd: ExecStartPre, then the supervisor) → reverted
//    before the agent serves.
// The fault is a 1 MiB fill in /var/tmp/fl-fill, a directory of the test's bind-mounted into the
// container: it survives the container's reboot, as a remnant must, and the test sees it from here.
// (A network fault cannot run in a service there: nspawn gives a container that joins an existing
// network namespace no CAP_NET_ADMIN, so nft fails with EPERM inside any unit.)
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { experiment } from '@faultline/core';
import { linux } from '@faultline/faults-linux';
import { makeNetnsPair, type NetnsPair } from '@faultline/faults-linux/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bootContainer,
  type SystemdContainer,
  systemdContainerSupport,
} from '../../../../test/support/systemd-container.js';
import { filesIn, TOKEN, tempDir } from '../../test/helpers.js';
import { agentPort, ControlPlane, healthzWatcher, type Proc, REPO } from '../../test/netns.js';
import { parseConfig } from './config.js';
import { systemdUnit } from './unit.js';

const support = await systemdContainerSupport();
if (!support.available) console.log(`agent under systemd: skipped (${support.reason})`);

const TSX = fileURLToPath(import.meta.resolve('tsx'));
const BIN = fileURLToPath(new URL('../bin.ts', import.meta.url));

describe.skipIf(!support.available)('the shipped unit under systemd', { timeout: 180_000 }, () => {
  let pair: NetnsPair;
  let c: SystemdContainer;
  let url: string;
  let fillDir: string;
  const procs: Proc[] = [];

  beforeAll(async () => {
    pair = await makeNetnsPair({ prefix: 'flsd' });
    fillDir = await tempDir('flagent-unit-fill-');
    const port = agentPort();
    url = `http://${pair.ipB}:${port}`;
    const argv = [
      '--exec',
      `/usr/bin/node --conditions=@faultline/source --import ${TSX} ${BIN}`,
      '--listen',
      `${pair.ipB}:${port}`,
      '--lease',
      '60s',
    ];
    const unit = systemdUnit(parseConfig(['unit', ...argv], {}), argv);
    c = await bootContainer({
      name: 'agent',
      networkNamespace: pair.b,
      units: [{ name: 'faultline-agent.service', content: unit, enable: true }],
      files: [{ path: '/etc/faultline/agent.token', content: `${TOKEN}\n`, mode: 0o600 }],
      binds: [
        { source: realpathSync(process.execPath), target: '/usr/bin/node', readOnly: true },
        { source: REPO, target: REPO, readOnly: true },
        { source: fillDir, target: '/var/tmp/fl-fill' },
      ],
    });
  }, 300_000);

  afterAll(async () => {
    for (const p of procs) p.kill();
    await c?.stop();
    await pair?.destroy();
  });

  const watch = () => {
    const w = healthzWatcher(pair.b, url, fillDir);
    procs.push(w);
    return w;
  };
  const firstAnswer = async (w: Proc) => {
    await w.exited;
    return JSON.parse(w.lines.find((l) => l.startsWith('{'))!) as { servedAt: number; files: string[] };
  };
  const journal = async () =>
    (await c.exec(['journalctl', '-u', 'faultline-agent', '-o', 'cat', '--no-pager'], { timeoutMs: 10_000 }))
      .stdout;
  const injectThroughAgent = async () => {
    const cp = new ControlPlane(pair.a);
    procs.push(cp.proc);
    const spec = experiment('under systemd')
      .fault(linux.diskFill({ path: '/var/tmp/fl-fill', size: '1MiB', safetyFloor: '1MiB' }), {
        id: 'fill',
        duration: '60s',
      })
      .build();
    cp.send({ op: 'run', url, token: TOKEN, spec, heartbeat: '1s', expiry: '60s' });
    await cp.next((m) => m.event?.type === 'fault.injected', 60_000);
    expect(await filesIn(fillDir)).toEqual([expect.stringMatching(/^faultline_.*_fill\.fill$/)]);
    return cp;
  };

  it('the agent is SIGKILLed mid-run: the fault is reverted before it serves again', async () => {
    const booted = await firstAnswer(watch());
    expect(booted.files).toEqual([]);
    expect((await c.systemctl('is-active', 'faultline-agent')).stdout.trim()).toBe('active');
    const cp = await injectThroughAgent();
    // the supervisor's child is the process with `bin.ts --listen` (the supervisor's has --supervise first)
    const killed = await c.exec(['pkill', '-KILL', '-f', 'bin.ts --listen']);
    expect(killed.exitCode).toBe(0);
    const seen = await firstAnswer(watch());
    expect(seen.files).toEqual([]);
    const log = await journal();
    expect(log).toMatch(/the agent exited \(SIGKILL\) without being asked to/);
    expect(log).toMatch(/after the crash: recovery: 1 journal entry \(reverted 1,/);
    // systemd saw nothing: the supervisor handled it
    expect((await c.systemctl('show', '-p', 'NRestarts', 'faultline-agent')).stdout.trim()).toBe(
      'NRestarts=0',
    );
    await cp.next((m) => m.result, 30_000);
    cp.close();
  });

  it('the service dies outright with a fault in the journal, the container reboots: reverted before the agent serves', async () => {
    await injectThroughAgent();
    // supervisor and agent at once, as a power cut would: nothing reverts
    expect((await c.systemctl('kill', '--signal=SIGKILL', 'faultline-agent')).exitCode).toBe(0);
    expect(await filesIn(fillDir)).toHaveLength(1);
    // before Restart=on-failure's 1 s: the reboot takes over, so the next start is the boot's
    const w = watch();
    await c.reboot();
    const seen = await firstAnswer(w);
    expect(seen.files).toEqual([]);
    const log = await journal();
    // this boot: its ExecStartPre reverted the remnant; then systemd started the supervisor, whose
    // own recovery and the agent's found nothing left; then the agent served
    const boot = log.slice(log.lastIndexOf('Starting faultline-agent.service'));
    const at = [
      /^faultline-agent: recovery: 1 journal entry \(reverted 1,/m,
      /^Started faultline-agent\.service/m,
      /supervisor: before the first start: recovery: 0 journal entries/m,
      /^faultline-agent: listening on/m,
    ].map((re) => boot.search(re));
    expect(
      at.every((p) => p >= 0),
      boot,
    ).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(await filesIn(fillDir)).toEqual([]);
  });
});
