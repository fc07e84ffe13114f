// faultline-agent --supervise for real, in a namespace: the agent is SIGKILLed mid-run, and a
// "reboot" (another boot id) finds a fault left in the journal. In both cases the fault must be
// reverted before a new agent answers /healthz: a watcher in the namespace reads the nft tables at
// the moment of the first answer.
import { experiment } from '@faultline/core';
import { linux } from '@faultline/faults-linux';
import { assertNoLeftovers, makeNetnsPair, type NetnsPair } from '@faultline/faults-linux/testing';
import { describe, expect, it } from 'vitest';
import { TOKEN, tempDir } from '../../test/helpers.js';
import {
  agentPort,
  ControlPlane,
  healthzWatcher,
  isRoot,
  nftTables,
  type Proc,
  startAgent,
} from '../../test/netns.js';

const lossSpec = (pair: NetnsPair) =>
  experiment('left behind')
    .fault(
      linux.networkLoss({
        percent: 30,
        destinationIps: [pair.ipA],
        protocol: 'udp',
        destinationPorts: [7007],
      }),
      {
        id: 'loss',
        duration: '60s',
      },
    )
    .build();

/** The supervised agent's own pid, from its "listening" line (after line `from`). */
async function agentPid(sup: Proc, from = 0): Promise<{ pid: number; index: number }> {
  const { line, index } = await sup.waitFor(
    /faultline-agent: listening on .*\(pid (\d+), supervised\)/,
    30_000,
    from,
  );
  return { pid: Number(/\(pid (\d+)/.exec(line)![1]), index };
}

/** A supervised agent in `b` and a control plane in `a` that has injected a loss through it. */
async function injectedUnderSupervisor(
  pair: NetnsPair,
  stateDir: string,
  procs: Proc[],
  env: NodeJS.ProcessEnv = {},
) {
  const sup = await startAgent(pair.b, {
    host: pair.ipB,
    port: agentPort(),
    stateDir,
    token: TOKEN,
    args: ['--supervise', '--lease', '60s'],
    env,
  });
  procs.push(sup.proc);
  const agent = await agentPid(sup.proc);
  const cp = new ControlPlane(pair.a);
  procs.push(cp.proc);
  cp.send({ op: 'run', url: sup.url, token: TOKEN, spec: lossSpec(pair), heartbeat: '500ms', expiry: '30s' });
  const { runId } = await cp.next((m) => m.runId);
  await cp.next((m) => m.event?.type === 'fault.injected');
  expect(nftTables(pair.b)).toContain('faultline');
  return { sup, agent, cp, runId: runId as string };
}

async function withPair(
  body: (pair: NetnsPair, stateDir: string, procs: Proc[]) => Promise<void>,
): Promise<void> {
  const pair = await makeNetnsPair({ prefix: 'flsu' });
  const stateDir = await tempDir('flagent-sup-');
  const procs: Proc[] = [];
  try {
    await body(pair, stateDir, procs);
    await assertNoLeftovers(pair);
  } finally {
    for (const p of procs) p.kill('SIGTERM');
    await Promise.all(procs.map((p) => p.exited));
    await pair.destroy();
  }
}

describe.skipIf(!isRoot)('faultline-agent --supervise', { timeout: 90_000 }, () => {
  it('the agent is SIGKILLed mid-run: everything is reverted before the restarted agent answers /healthz', async () => {
    await withPair(async (pair, stateDir, procs) => {
      const { sup, agent: first, cp } = await injectedUnderSupervisor(pair, stateDir, procs);
      process.kill(first.pid, 'SIGKILL');
      const killedAt = Date.now();
      // asking from the moment the old agent is dead: the first answer comes from the restarted one
      const w = healthzWatcher(pair.b, sup.url);
      procs.push(w);
      await w.exited;
      const seen = JSON.parse(w.lines.find((l) => l.startsWith('{'))!);
      expect(seen.tables).not.toContain('faultline');
      const second = await agentPid(sup.proc, first.index + 1);
      expect(second.pid).not.toBe(first.pid);
      const log = sup.proc.lines.join('\n');
      expect(log).toMatch(/after the crash: recovery: 1 journal entry \(reverted 1,/);
      expect(log.indexOf('after the crash: recovery')).toBeLessThan(log.lastIndexOf('started the agent'));
      // the control plane's handle learns that the agent lost the run under it
      const { result } = await cp.next((m) => m.result, 20_000);
      expect([result.verdict, result.error.code]).toEqual(['Aborted', 'FL_LINK_LOST']);
      expect(result.error.message).toMatch(/stopped in the middle of the run/);
      console.log(
        `SIGKILL → restarted agent serving after ${seen.servedAt - killedAt} ms, fault already reverted`,
      );
    });
  });

  it('a reboot (a new boot id) with a fault left in the journal: reverted before the agent serves', async () => {
    await withPair(async (pair, stateDir, procs) => {
      const env = { FAULTLINE_BOOT_ID: 'boot-before' };
      const { sup: before, agent, cp, runId } = await injectedUnderSupervisor(pair, stateDir, procs, env);
      const port = Number(new URL(before.url).port);
      cp.close();
      // the power goes: supervisor and agent die at once, nothing reverts
      before.proc.kill('SIGKILL');
      process.kill(agent.pid, 'SIGKILL');
      await before.proc.exited;
      await new Promise((r) => setTimeout(r, 200));
      expect(nftTables(pair.b)).toContain('faultline');

      // the next boot: the watcher asks from before the agent exists
      const watcher = healthzWatcher(pair.b, `http://${pair.ipB}:${port}`);
      procs.push(watcher);
      const after = await startAgent(pair.b, {
        host: pair.ipB,
        port,
        stateDir,
        token: TOKEN,
        args: ['--supervise'],
        env: { FAULTLINE_BOOT_ID: 'boot-after' },
      });
      procs.push(after.proc);
      await watcher.exited;
      const seen = JSON.parse(watcher.lines.find((l) => l.startsWith('{'))!);
      expect(seen.tables).not.toContain('faultline');
      expect(after.proc.lines.join('\n')).toMatch(
        /before the first start: recovery: 1 journal entry \(reverted 1,/,
      );
      // the run it interrupted is known to the new agent, as interrupted
      const cp2 = new ControlPlane(pair.a);
      procs.push(cp2.proc);
      cp2.send({ op: 'fetch', url: after.url, token: TOKEN, runId });
      const { status } = await cp2.next((m) => m.status);
      expect(status.state).toBe('interrupted');
    });
  });
});
