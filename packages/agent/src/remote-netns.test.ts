// The agent in its own network namespace, the control plane in another, a veth between them: real
// faults in the agent's namespace, a control link the test cuts for real.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { experiment, type FaultlineEvent } from '@faultline/core';
import { parseNdjson } from '@faultline/core/internal';
import { linux } from '@faultline/faults-linux';
import {
  assertNoLeftovers,
  makeNetnsPair,
  measureUdpLoss,
  type NetnsPair,
} from '@faultline/faults-linux/testing';
import { describe, expect, it } from 'vitest';
import { TOKEN, tempDir, until } from '../test/helpers.js';
import { agentPort, ControlPlane, isRoot, nftTables, startAgent } from '../test/netns.js';

if (!isRoot)
  console.log('agent namespace tests: skipped, they make network namespaces and need root on Linux');

/** A pair, an agent in `b` listening on the veth, a control plane in `a`; all torn down after `body`. */
async function acrossVeth(
  body: (w: { pair: NetnsPair; url: string; cp: ControlPlane; stateDir: string }) => Promise<void>,
) {
  const pair = await makeNetnsPair({ prefix: 'flag' });
  const stateDir = await tempDir('flagent-ns-');
  let cp: ControlPlane | undefined;
  let agent: Awaited<ReturnType<typeof startAgent>> | undefined;
  try {
    agent = await startAgent(pair.b, { host: pair.ipB, port: agentPort(), stateDir, token: TOKEN });
    cp = new ControlPlane(pair.a);
    await body({ pair, url: agent.url, cp, stateDir });
    // the code under test reverted everything itself: checked before anything is torn down
    await assertNoLeftovers(pair);
  } finally {
    cp?.close();
    agent?.proc.kill('SIGTERM');
    await agent?.proc.exited;
    await pair.destroy();
  }
}

/** A UDP loss toward the control side's echo port: a real fault that leaves the control link (TCP) alone. */
const udpLoss = (pair: NetnsPair) =>
  linux.networkLoss({ percent: 30, destinationIps: [pair.ipA], protocol: 'udp', destinationPorts: [7007] });

const events = (cp: ControlPlane): FaultlineEvent[] =>
  cp
    .messages()
    .filter((m) => m.event)
    .map((m) => m.event);

async function agentLog(stateDir: string, runId: string): Promise<FaultlineEvent[]> {
  return parseNdjson(await readFile(join(stateDir, 'runs', `${runId}.ndjson`), 'utf8'));
}

describe.skipIf(!isRoot)('an agent across a veth', { timeout: 90_000 }, () => {
  it('runs a network loss and a CPU stress in its namespace, streams the events and the result', async () => {
    await acrossVeth(async ({ pair, url, cp, stateDir }) => {
      const spec = experiment('over the veth')
        .parallel(
          [udpLoss(pair), { id: 'loss', duration: '2s' }],
          [linux.cpuStress({ load: 50, workers: 1 }), { id: 'cpu', duration: '2s' }],
        )
        .build();
      cp.send({ op: 'run', url, token: TOKEN, spec });
      await cp.next((m) => m.event?.type === 'fault.injected' && m.event.stepId === 'loss');
      expect(nftTables(pair.b)).toMatch(/table netdev faultline_/);
      const measured = await measureUdpLoss(pair, {
        from: pair.b,
        to: pair.a,
        host: pair.ipA,
        port: 7007,
        count: 150,
      });
      const { result } = await cp.next((m) => m.result);
      expect(measured.lossPercent).toBeGreaterThan(10);
      expect(measured.lossPercent).toBeLessThan(55);
      expect(result.verdict).toBe('Pass');
      expect(result.faults.map((f: { stepId: string; status: string }) => [f.stepId, f.status])).toEqual([
        ['loss', 'completed'],
        ['cpu', 'completed'],
      ]);
      const received = events(cp);
      expect(received).toEqual(await agentLog(stateDir, result.runId));
      expect(nftTables(pair.b)).not.toContain('faultline');
    });
  });

  it('the link is cut: the agent reverts within the lease + 1 s, and both results say FL_LINK_LOST', async () => {
    await acrossVeth(async ({ pair, url, cp, stateDir }) => {
      const spec = experiment('cut').fault(udpLoss(pair), { id: 'loss', duration: '30s' }).build();
      cp.send({ op: 'run', url, token: TOKEN, spec, heartbeat: '250ms', expiry: '1500ms' });
      const { runId } = await cp.next((m) => m.runId);
      await cp.next((m) => m.event?.type === 'fault.injected');
      expect(nftTables(pair.b)).toContain('faultline');
      const cutAt = Date.now();
      await pair.exec(pair.a, 'ip', ['link', 'set', pair.vethA, 'down']);
      await until('the agent reverted the loss', () => !nftTables(pair.b).includes('faultline'), 10_000);
      const revertedAfter = Date.now() - cutAt;
      expect(revertedAfter).toBeLessThanOrEqual(1500 + 1000);
      // the control plane gave up too, once the lease was gone
      const { result: mine } = await cp.next((m) => m.result, 10_000);
      expect([mine.verdict, mine.error.code]).toEqual(['Aborted', 'FL_LINK_LOST']);
      // the link comes back: the agent's own result, by run id
      await pair.exec(pair.a, 'ip', ['link', 'set', pair.vethA, 'up']);
      cp.send({ op: 'fetch', url, token: TOKEN, runId, waitMs: 10_000 });
      const { status } = await cp.next((m) => m.status, 15_000);
      expect(status.state).toBe('finished');
      expect([status.result.verdict, status.result.error.code]).toEqual(['Aborted', 'FL_LINK_LOST']);
      expect(status.result.abortReason).toMatch(/no lease renewal from the control plane for 1500 ms/);
      const aborting = (await agentLog(stateDir, runId)).find((e) => e.type === 'run.aborting');
      expect(aborting).toMatchObject({ code: 'FL_LINK_LOST' });
      console.log(`link cut → reverted in ${revertedAfter} ms (lease 1500 ms)`);
    });
  });

  it('a 2 s blip shorter than the lease: the stream resumes and every seq arrives exactly once', async () => {
    await acrossVeth(async ({ pair, url, cp, stateDir }) => {
      // a probe every 100 ms on the agent: events keep coming while the link is down
      const spec = experiment('blip')
        .fault(udpLoss(pair), {
          id: 'loss',
          duration: '4s',
          probes: [
            {
              name: 'busy',
              kind: 'probe/infra-responsive',
              mode: 'Continuous',
              runProperties: { pollingInterval: '100ms' },
            },
          ],
        })
        .build();
      cp.send({ op: 'run', url, token: TOKEN, spec, heartbeat: '250ms', expiry: '5s' });
      await cp.next((m) => m.event?.type === 'fault.injected');
      const downAt = Date.now();
      await pair.exec(pair.a, 'ip', ['link', 'set', pair.vethA, 'down']);
      await new Promise((r) => setTimeout(r, 2000));
      await pair.exec(pair.a, 'ip', ['link', 'set', pair.vethA, 'up']);
      const upAt = Date.now();
      const { result } = await cp.next((m) => m.result, 20_000);
      expect(result.verdict).toBe('Pass');
      const received = cp.messages().filter((m) => m.event);
      const seqs = received.map((m) => m.event.seq);
      expect(seqs).toEqual(seqs.map((_: number, i: number) => i + 1));
      expect(received.map((m) => m.event)).toEqual(await agentLog(stateDir, result.runId));
      // events the agent emitted while the link was down reached the control plane after it came back
      const duringBlip = received.filter(
        (m) => Date.parse(m.event.ts) > downAt + 200 && Date.parse(m.event.ts) < upAt - 200,
      );
      expect(duringBlip.length).toBeGreaterThan(5);
      expect(duringBlip.every((m) => m.at >= upAt)).toBe(true);
    });
  });

  it('abort from the control plane: the agent reverts and the verdict is Aborted', async () => {
    await acrossVeth(async ({ pair, url, cp }) => {
      cp.send({
        op: 'run',
        url,
        token: TOKEN,
        spec: experiment('abort').fault(udpLoss(pair), { id: 'loss', duration: '30s' }).build(),
      });
      await cp.next((m) => m.event?.type === 'fault.injected');
      expect(nftTables(pair.b)).toContain('faultline');
      cp.send({ op: 'abort', reason: 'game over' });
      const { result } = await cp.next((m) => m.result, 10_000);
      expect([result.verdict, result.abortReason]).toEqual(['Aborted', 'game over']);
      expect(nftTables(pair.b)).not.toContain('faultline');
    });
  });
});
