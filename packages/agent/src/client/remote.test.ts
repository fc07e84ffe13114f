// The client against agents served on loopback in this process: a remote handle yields exactly the
// agent's events, the control plane's runtime records them, abort, errors, TLS, fan-out.
import { createRuntime, type FaultlineEvent } from '@faultline/core';
import { describe, expect, it } from 'vitest';
import { filesIn, fillSpec, packRuntime, selfSignedCert, TOKEN, tempDir, until } from '../../test/helpers.js';
import { serveAgent } from '../server/serve.js';
import { fanOut } from './fan-out.js';
import { remoteInfrastructure } from './remote.js';

async function servedAgent(opts: { tls?: { key: string; cert: string } } = {}) {
  const runtime = await packRuntime();
  const served = await serveAgent({ runtime, token: TOKEN, port: 0, ...opts });
  return {
    runtime,
    served,
    async close() {
      await served.close();
      await runtime.close();
    },
  };
}

describe('remoteInfrastructure', () => {
  it("runtime.run on an agent: the handle yields exactly the agent's events, and the control plane records them", async () => {
    const dir = await tempDir();
    const agent = await servedAgent();
    const remote = remoteInfrastructure({
      url: agent.served.url,
      token: TOKEN,
      heartbeat: '200ms',
      expiry: '2s',
    });
    const stored: FaultlineEvent[] = [];
    const control = await createRuntime({
      stateDir: await tempDir('flagent-ctl-'),
      sentinel: false,
      signals: false,
      store: { event: (e) => stored.push(e) },
    });
    const run = control.run(fillSpec(dir, '600ms'), { infrastructure: remote });
    const live: FaultlineEvent[] = [];
    let filled = 0;
    for await (const e of run.events) {
      live.push(e);
      if (e.type === 'fault.injected') filled = (await filesIn(dir)).length;
    }
    const result = await run.result;
    expect(filled).toBe(1);
    expect(await filesIn(dir)).toEqual([]);
    expect(result.verdict).toBe('Pass');
    const onAgent = await agent.runtime.readRunLog(run.id);
    expect(live).toEqual(onAgent); // same seq, ts, runId: each event once
    expect(stored).toEqual(onAgent);
    expect(await control.readRunLog(run.id)).toEqual(onAgent);
    expect((await remote.fetchRun(run.id)).result).toEqual(result);
    const info = await remote.describe();
    expect([info.id, info.capabilities['linux/disk-fill']?.available]).toEqual([
      `agent:${new URL(agent.served.url).host}`,
      true,
    ]);
    remote.close();
    await control.close();
    await agent.close();
  });

  it('abort() and an AbortSignal stop the remote run: Aborted, the fill reverted on the agent', async () => {
    const dir = await tempDir();
    const agent = await servedAgent();
    const remote = remoteInfrastructure({ url: agent.served.url, token: TOKEN });
    const run = remote.execute(fillSpec(dir, '30s'), {});
    await until('the fill is in place', async () => (await filesIn(dir)).length === 1);
    run.abort('enough');
    const r = await run.result;
    expect([r.verdict, r.abortReason]).toEqual(['Aborted', 'enough']);
    expect(await filesIn(dir)).toEqual([]);
    expect(run.events.snapshot().at(-1)?.type).toBe('run.finished');

    const ac = new AbortController();
    const viaSignal = remote.execute(fillSpec(dir, '30s'), { signal: ac.signal });
    await until('the fill is in place', async () => (await filesIn(dir)).length === 1);
    ac.abort(new Error('signal says stop'));
    expect((await viaSignal.result).verdict).toBe('Aborted');
    expect(await filesIn(dir)).toEqual([]);
    // aborted before it started: nothing is sent at all
    const never = remote.execute(fillSpec(dir, '30s'), { signal: AbortSignal.abort() });
    expect((await never.result).verdict).toBe('Aborted');
    expect(await agent.runtime.listRunLogs()).toHaveLength(2);
    remote.close();
    await agent.close();
  });

  it("a spec the agent refuses ends the handle with Error and the agent's code; a malformed one throws at once", async () => {
    const agent = await servedAgent();
    const remote = remoteInfrastructure({ url: agent.served.url, token: TOKEN });
    const refused = await remote.execute(fillSpec('/etc'), {}).result;
    expect([refused.verdict, refused.error?.code]).toEqual(['Error', 'FL_TUNABLES']);
    expect(refused.error?.message).toMatch(/outside the allowed roots/);
    expect(() => remote.execute({ ...fillSpec('/tmp'), apiVersion: 'v0' } as never, {})).toThrow(/FL_SPEC/);
    const wrongToken = remoteInfrastructure({ url: agent.served.url, token: 'not-the-token-000000' });
    const denied = await wrongToken.execute(fillSpec('/tmp'), {}).result;
    expect(denied.error?.code).toBe('FL_AUTH');
    await expect(wrongToken.describe()).rejects.toThrow(/FL_AUTH/);
    // nothing answers at all: the handle gives up once the lease would be gone
    const nobody = remoteInfrastructure({
      url: 'http://127.0.0.1:9',
      token: TOKEN,
      heartbeat: '100ms',
      expiry: '400ms',
    });
    const gone = await nobody.execute(fillSpec('/tmp'), {}).result;
    expect([gone.verdict, gone.error?.code]).toEqual(['Error', 'FL_LINK_LOST']);
    for (const r of [remote, wrongToken, nobody]) r.close();
    await agent.close();
  });

  it("over TLS with the agent's own CA", async () => {
    const dir = await tempDir();
    const tls = await selfSignedCert();
    const agent = await servedAgent({ tls });
    expect(agent.served.url).toMatch(/^https:\/\/127\.0\.0\.1:/);
    const remote = remoteInfrastructure({ url: agent.served.url, token: TOKEN, ca: tls.cert });
    expect((await remote.execute(fillSpec(dir, '100ms'), {}).result).verdict).toBe('Pass');
    const untrusted = remoteInfrastructure({ url: agent.served.url, token: TOKEN });
    await expect(untrusted.describe()).rejects.toThrow(/self-signed|certificate/);
    remote.close();
    untrusted.close();
    await agent.close();
  });
});

describe('fanOut', () => {
  it('one experiment on three agents: one merged, tagged event stream and one result each, two at a time', async () => {
    const agents = await Promise.all([0, 1, 2].map(() => servedAgent()));
    const dir = await tempDir();
    const infras = agents.map((a) => remoteInfrastructure({ url: a.served.url, token: TOKEN }));
    let overlapping = 0;
    let running = 0;
    const out = fanOut(fillSpec(dir, '300ms'), infras, { concurrency: 2 });
    out.on((e) => {
      if (e.event.type === 'run.started') overlapping = Math.max(overlapping, ++running);
      if (e.event.type === 'run.finished') running--;
    });
    const tagged: string[] = [];
    for await (const e of out.events) tagged.push(`${e.infrastructure} ${e.event.seq}`);
    const results = await out.results;
    expect(results.map((r) => [r.infrastructure, r.result.verdict])).toEqual(
      infras.map((i) => [i.id, 'Pass']),
    );
    expect(overlapping).toBe(2);
    for (const [k, r] of results.entries()) {
      const log = await agents[k]!.runtime.readRunLog(r.runId);
      expect(tagged.filter((t) => t.startsWith(`${r.infrastructure} `))).toEqual(
        log.map((e) => `${r.infrastructure} ${e.seq}`),
      );
    }
    expect(await filesIn(dir)).toEqual([]);
    for (const i of infras) i.close();
    await Promise.all(agents.map((a) => a.close()));
  });
});
