// The agent's HTTP API in-process (app.request), over a runtime with the real packs; the fault is a
// real 1 MiB fill in a temp dir the test made.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FaultlineEvent } from '@faultline/core';
import { parseNdjson } from '@faultline/core/internal';
import { describe, expect, it } from 'vitest';
import { AUTH, body, filesIn, fillSpec, packRuntime, TOKEN, tempDir, until } from '../../test/helpers.js';
import { createAgent } from './agent.js';

const json = (body: unknown, headers: Record<string, string> = AUTH) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

/** Reads an SSE body to its end: the events in their `data:` lines, and the `id:` of each. */
async function sse(res: Response): Promise<{ ids: number[]; events: FaultlineEvent[] }> {
  const text = await res.text();
  const blocks = text.split('\n\n').filter((b) => b.includes('data: '));
  return {
    ids: blocks.map((b) => Number(/^id: (\d+)$/m.exec(b)?.[1])),
    events: blocks.map((b) => JSON.parse(/^data: (.*)$/m.exec(b)![1]!) as FaultlineEvent),
  };
}

async function nothingJournaled(rt: Awaited<ReturnType<typeof packRuntime>>, dir: string): Promise<void> {
  expect(await rt.journal.pending()).toEqual([]);
  const journalFile = join(rt.stateDir, 'journal.jsonl');
  expect((await stat(journalFile).catch(() => ({ size: 0 }))).size).toBe(0);
  expect(await rt.listRunLogs()).toEqual([]);
  expect(await readdir(dir)).toEqual([]);
}

describe('the agent API', () => {
  it('/healthz and /openapi.json answer without a token; everything under /v1 needs it (401, JSON)', async () => {
    const rt = await packRuntime();
    const app = createAgent({ runtime: rt, token: TOKEN });
    expect(await body(app.request('/healthz'))).toEqual({ ok: true, version: expect.any(String) });
    expect((await app.request('/openapi.json')).status).toBe(200);
    for (const headers of [
      {},
      { authorization: 'Bearer wrong-token-of-some-length' },
      { authorization: 'Basic x' },
    ]) {
      const res = await app.request('/v1/info', { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(await body(res)).toMatchObject({
        code: 'FL_AUTH',
        message: expect.stringMatching(/^FL_AUTH: /),
      });
    }
    // a token with characters outside the bearer alphabet is a 401 too, not hono's 400
    expect((await app.request('/v1/info', { headers: { authorization: 'Bearer {}<>' } })).status).toBe(401);
    const info = await body(app.request('/v1/info', { headers: AUTH }));
    expect(info.packs).toEqual(['@faultline/faults-linux', '@faultline/probes']);
    expect(info.capabilities['linux/disk-fill']).toEqual({ available: true });
    expect(info.lease).toEqual({ heartbeatMs: 2000, maxExpiryMs: 10_000 });
    await rt.close();
  });

  it('no token or a wrong one on POST /v1/runs: 401 and nothing is journaled, logged or injected', async () => {
    const dir = await tempDir();
    const rt = await packRuntime();
    const app = createAgent({ runtime: rt, token: TOKEN });
    for (const headers of [
      {},
      { authorization: `Bearer ${TOKEN}x` },
      { authorization: `Bearer ${TOKEN.slice(1)}` },
    ]) {
      const res = await app.request('/v1/runs', json(fillSpec(dir, '2s'), headers));
      expect(res.status).toBe(401);
    }
    await nothingJournaled(rt, dir);
    await rt.close();
  });

  it('invalid input is a 4xx with a JSON body that says what is wrong, and nothing runs', async () => {
    const dir = await tempDir();
    const rt = await packRuntime();
    const app = createAgent({ runtime: rt, token: TOKEN, maxBodyBytes: 4096 });
    const cases: Array<[RequestInit, number, string, RegExp]> = [
      [{ ...json({}), body: '{"apiVersion":' }, 400, 'FL_REQUEST', /not JSON/],
      [{ ...json({}), body: '' }, 400, 'FL_REQUEST', /needs a JSON body/],
      [
        json({ ...fillSpec(dir), padding: 'x'.repeat(5000) }),
        413,
        'FL_REQUEST',
        /larger than this agent's limit of 4096/,
      ],
      [json({ x: JSON.parse('['.repeat(100) + ']'.repeat(100)) }), 400, 'FL_REQUEST', /nests deeper/],
      [json({ ...fillSpec(dir), apiVersion: 'v0' }), 422, 'FL_SPEC', /apiVersion/],
      [json({ ...fillSpec(dir), lease: { expiry: 'soon' } }), 422, 'FL_SPEC', /lease\.expiry/],
      [json({ ...fillSpec(dir), id: '../../etc/passwd' }), 422, 'FL_SPEC', /run id/],
      [json(fillSpec('/etc')), 422, 'FL_TUNABLES', /outside the allowed roots/],
      [json(fillSpec(`${dir}/../..`)), 422, 'FL_TUNABLES', /\.\. segment/],
      [
        json({
          ...fillSpec(dir),
          spec: { steps: [{ faults: [{ id: 'x', kind: 'linux/nope', tunables: {} }] }] },
        }),
        422,
        'FL_UNKNOWN_KIND',
        /linux\/nope/,
      ],
    ];
    for (const [init, status, code, message] of cases) {
      const res = await app.request('/v1/runs', init);
      const b = await body(res);
      expect([res.status, b.code], b.message).toEqual([status, code]);
      expect(b.message).toMatch(message);
    }
    const res = await app.request('/v1/runs', json(fillSpec('/etc')));
    // details for programs: which kind, and each issue
    expect((await body(res)).details).toEqual({
      kind: 'linux/disk-fill',
      issues: [expect.stringMatching(/path \/etc is outside the allowed roots/)],
    });
    await nothingJournaled(rt, dir);
    await rt.close();
  });

  it('a run streams its events as SSE (id = seq), resumes after Last-Event-ID, and its result stays after it ends', async () => {
    const dir = await tempDir();
    const rt = await packRuntime();
    const app = createAgent({ runtime: rt, token: TOKEN });
    const created = await app.request(
      '/v1/runs',
      json({ ...fillSpec(dir, '300ms'), lease: { expiry: '5s' } }),
    );
    expect(created.status).toBe(201);
    const { id, lease, events: path } = await body(created);
    expect(lease).toMatchObject({ heartbeatMs: 2000, expiryMs: 5000 });
    expect(path).toBe(`/v1/runs/${id}/events`);
    const running = await body(app.request(`/v1/runs/${id}`, { headers: AUTH }));
    expect(running).toMatchObject({ id, state: 'running', experiment: 'fill' });
    const live = await sse(await app.request(path, { headers: AUTH }));
    expect(live.ids).toEqual(live.events.map((_, i) => i + 1));
    expect(live.events.at(-1)).toMatchObject({ type: 'run.finished', verdict: 'Pass', runId: id });
    expect(live.events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['fault.injected', 'fault.reverted']),
    );
    expect(await filesIn(dir)).toEqual([]);
    // the same events from the log once the run ended, each once, from any seq on
    const resumed = await sse(await app.request(path, { headers: { ...AUTH, 'last-event-id': '4' } }));
    expect(resumed.events).toEqual(live.events.slice(4));
    const viaQuery = await sse(await app.request(`${path}?after=2`, { headers: AUTH }));
    expect(viaQuery.ids[0]).toBe(3);
    expect(parseNdjson(live.events.map((e) => JSON.stringify(e)).join('\n'))).toEqual(
      await rt.readRunLog(id),
    );
    const done = await body(app.request(`/v1/runs/${id}`, { headers: AUTH }));
    expect(done).toMatchObject({
      state: 'finished',
      lastSeq: live.events.length,
      result: { verdict: 'Pass' },
    });
    expect((await app.request(`${path}?after=x`, { headers: AUTH })).status).toBe(400);
    await rt.close();

    // a new agent on the same state dir (a restart) still knows the run and its result
    const again = await packRuntime({ stateDir: rt.stateDir });
    const app2 = createAgent({ runtime: again, token: TOKEN });
    expect(await body(app2.request(`/v1/runs/${id}`, { headers: AUTH }))).toEqual(done);
    const list = await body(app2.request('/v1/runs', { headers: AUTH }));
    expect(list.runs.map((r: { id: string }) => r.id)).toEqual([id]);
    await again.close();
  });

  it('a POST retried with the same id starts nothing new: 200 and the same run', async () => {
    const dir = await tempDir();
    const rt = await packRuntime();
    const app = createAgent({ runtime: rt, token: TOKEN });
    const id = 'retry-0123456789';
    const first = await app.request('/v1/runs', json({ ...fillSpec(dir, '300ms'), id }));
    const second = await app.request('/v1/runs', json({ ...fillSpec(dir, '300ms'), id }));
    expect([first.status, second.status]).toEqual([201, 200]);
    expect((await body(second)).id).toBe(id);
    await until(
      'the run ended',
      async () => (await body(app.request(`/v1/runs/${id}`, { headers: AUTH }))).state === 'finished',
    );
    const log = await rt.readRunLog(id);
    expect(log.filter((e) => e.type === 'fault.injecting')).toHaveLength(1);
    await rt.close();
  });

  it('maxActiveRuns reached: 409 FL_BUSY, and the running one goes on', async () => {
    const dir = await tempDir();
    const rt = await packRuntime();
    const app = createAgent({ runtime: rt, token: TOKEN, maxActiveRuns: 1 });
    const { id } = await body(app.request('/v1/runs', json(fillSpec(dir, '1s'))));
    const busy = await app.request('/v1/runs', json(fillSpec(dir, '1s', 'second')));
    expect(busy.status).toBe(409);
    expect(await body(busy)).toMatchObject({ code: 'FL_BUSY', details: { active: [id] } });
    await until('the first run ended', () => app.activeRuns === 0);
    expect((await app.request('/v1/runs', json(fillSpec(dir, '100ms', 'third')))).status).toBe(201);
    await until('the third run ended', () => app.activeRuns === 0);
    await rt.close();
  });

  it('no lease renewal within the expiry: the agent aborts with FL_LINK_LOST and reverts; renewals keep a run alive', async () => {
    const dir = await tempDir();
    const rt = await packRuntime();
    const app = createAgent({ runtime: rt, token: TOKEN });
    // renewed every 100 ms for a 1.2 s window with a 400 ms expiry: it runs to its end
    const kept = await body(
      app.request(
        '/v1/runs',
        json({ ...fillSpec(dir, '1200ms'), lease: { heartbeat: '100ms', expiry: '400ms' } }),
      ),
    );
    expect(kept.lease).toMatchObject({ heartbeatMs: 100, expiryMs: 400 });
    while (app.activeRuns > 0) {
      await app.request(`/v1/runs/${kept.id}/lease`, { method: 'POST', headers: AUTH });
      await new Promise((r) => setTimeout(r, 100));
    }
    const keptResult = (await body(app.request(`/v1/runs/${kept.id}`, { headers: AUTH }))).result;
    expect(keptResult.verdict).toBe('Pass');

    // not renewed: aborted 400 ms after the POST, well before its 30 s window
    const t0 = Date.now();
    const lost = await body(
      app.request('/v1/runs', json({ ...fillSpec(dir, '30s'), lease: { expiry: '400ms' } })),
    );
    await until('the fill is in place', async () => (await filesIn(dir)).length === 1, 5000);
    await until(
      'the lease expired and the fill is reverted',
      async () => (await filesIn(dir)).length === 0,
      5000,
    );
    expect(Date.now() - t0).toBeLessThan(400 + 1000);
    await until('the run ended', () => app.activeRuns === 0);
    const status = await body(app.request(`/v1/runs/${lost.id}`, { headers: AUTH }));
    expect(status.result).toMatchObject({ verdict: 'Aborted', error: { code: 'FL_LINK_LOST' } });
    const aborting = (await rt.readRunLog(lost.id)).find((e) => e.type === 'run.aborting');
    expect(aborting).toMatchObject({
      code: 'FL_LINK_LOST',
      reason: expect.stringMatching(/no lease renewal .* for 400 ms/),
    });
    expect(await rt.journal.pending()).toEqual([]);
    await rt.close();
  });

  it('abort: 202 while it reverts, then Aborted; abort and lease of a finished run answer its state; unknown ids are 404', async () => {
    const dir = await tempDir();
    const rt = await packRuntime();
    const app = createAgent({ runtime: rt, token: TOKEN });
    const { id } = await body(app.request('/v1/runs', json(fillSpec(dir, '30s'))));
    await until('the fill is in place', async () => (await filesIn(dir)).length === 1);
    const abort = await app.request(`/v1/runs/${id}/abort`, json({ reason: 'operator says stop' }));
    expect(abort.status).toBe(202);
    await until('the run ended', () => app.activeRuns === 0);
    expect(await filesIn(dir)).toEqual([]);
    const status = await body(app.request(`/v1/runs/${id}`, { headers: AUTH }));
    expect(status.result).toMatchObject({ verdict: 'Aborted', abortReason: 'operator says stop' });
    expect(status.result.error).toBeUndefined();
    expect((await app.request(`/v1/runs/${id}/abort`, json({}))).status).toBe(200);
    expect(await body(app.request(`/v1/runs/${id}/lease`, { method: 'POST', headers: AUTH }))).toMatchObject({
      state: 'finished',
    });
    for (const path of [
      '/v1/runs/nope-0000000000',
      '/v1/runs/..%2F..%2Fetc%2Fpasswd',
      '/v1/runs/nope-0000000000/events',
    ]) {
      const res = await app.request(path, { headers: AUTH });
      expect([res.status, (await body(res)).code]).toEqual([404, 'FL_NOT_FOUND']);
    }
    const route = await app.request('/v1/nothing', { headers: AUTH });
    expect([route.status, (await body(route)).code]).toEqual([404, 'FL_REQUEST']);
    await rt.close();
  });
});
