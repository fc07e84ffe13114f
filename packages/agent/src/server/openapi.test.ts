// /openapi.json against the routes: the same set of operations, and every documented status that a
// request can produce here answered with a body that the documented schema accepts.
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { AUTH, body, fillSpec, packRuntime, TOKEN, tempDir, until } from '../../test/helpers.js';
import {
  errorBodySchema,
  healthSchema,
  infoSchema,
  runCreatedSchema,
  runListSchema,
  runStatusSchema,
} from '../wire.js';
import { createAgent } from './agent.js';
import { OPERATIONS } from './openapi.js';

const SCHEMAS: Record<string, v.GenericSchema> = {
  Health: healthSchema,
  Info: infoSchema,
  RunCreated: runCreatedSchema,
  RunList: runListSchema,
  RunStatus: runStatusSchema,
  Error: errorBodySchema,
};

describe('GET /openapi.json', () => {
  it('documents exactly the routes the app has, with their auth', async () => {
    const rt = await packRuntime();
    const app = createAgent({ runtime: rt, token: TOKEN });
    const doc = await body(app.request('/openapi.json'));
    expect(doc.openapi).toBe('3.1.0');
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    const routed = app.routes
      .filter((r) => r.method !== 'ALL')
      .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`)
      .sort();
    expect(documented).toEqual(routed);
    // what the document says about auth is what the app does
    for (const op of OPERATIONS) {
      const path = op.path.replace('{id}', 'no-such-run-0000');
      const res = await app.request(path, { method: op.method.toUpperCase() });
      if (op.auth) expect(res.status, `${op.method} ${op.path}`).toBe(401);
      else expect(res.status, `${op.method} ${op.path}`).toBe(200);
    }
    // every $ref resolves inside the document
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map(
      (m) => m[1]!,
    );
    expect(refs.filter((r) => !(r in doc.components.schemas))).toEqual([]);
    // the request schema is core's spec schema: its fields are there
    expect(doc.components.schemas.ExperimentSpec.required).toEqual([
      'apiVersion',
      'kind',
      'metadata',
      'spec',
    ]);
    await rt.close();
  });

  it('each documented JSON answer that a request can produce parses with its schema', async () => {
    const dir = await tempDir();
    const rt = await packRuntime();
    const app = createAgent({ runtime: rt, token: TOKEN, maxActiveRuns: 1, maxBodyBytes: 2048 });
    const post = (path: string, body: unknown) =>
      app.request(path, { method: 'POST', headers: AUTH, body: JSON.stringify(body) });
    const seen = new Map<string, Response>();
    const record = async (key: string, res: Response | Promise<Response>) => seen.set(key, await res);
    await record('GET /healthz 200', app.request('/healthz'));
    await record('GET /v1/info 200', app.request('/v1/info', { headers: AUTH }));
    await record('GET /v1/info 401', app.request('/v1/info'));
    const created = await post('/v1/runs', { ...fillSpec(dir, '2s'), id: 'doc-run-000001' });
    seen.set('POST /v1/runs 201', created.clone());
    const { id } = await body(created);
    await record('POST /v1/runs 200', post('/v1/runs', { ...fillSpec(dir, '2s'), id }));
    await record('POST /v1/runs 400', post('/v1/runs', undefined));
    await record('POST /v1/runs 409', post('/v1/runs', fillSpec(dir, '2s', 'second')));
    await record('POST /v1/runs 413', post('/v1/runs', { pad: 'x'.repeat(3000) }));
    await record('POST /v1/runs 422', post('/v1/runs', fillSpec('/etc')));
    await record('GET /v1/runs 200', app.request('/v1/runs', { headers: AUTH }));
    await record('GET /v1/runs 400', app.request('/v1/runs?limit=0', { headers: AUTH }));
    await record('GET /v1/runs/{id} 200', app.request(`/v1/runs/${id}`, { headers: AUTH }));
    await record('GET /v1/runs/{id} 404', app.request('/v1/runs/nope-00000000', { headers: AUTH }));
    await record('POST /v1/runs/{id}/lease 200', post(`/v1/runs/${id}/lease`, undefined));
    await record('POST /v1/runs/{id}/abort 422', post(`/v1/runs/${id}/abort`, { reason: 7 }));
    await record('POST /v1/runs/{id}/abort 202', post(`/v1/runs/${id}/abort`, {}));
    await until('the run ended', () => app.activeRuns === 0);
    await record('POST /v1/runs/{id}/abort 200', post(`/v1/runs/${id}/abort`, {}));
    await record('GET /v1/runs/{id}/events 200', app.request(`/v1/runs/${id}/events`, { headers: AUTH }));
    await record(
      'GET /v1/runs/{id}/events 400',
      app.request(`/v1/runs/${id}/events?after=-1`, { headers: AUTH }),
    );

    for (const [key, res] of seen) {
      const [method, path, status] = key.split(' ') as [string, string, string];
      const op = OPERATIONS.find((o) => o.method === method.toLowerCase() && o.path === path)!;
      const component = op.responses[Number(status)];
      expect(component, `${key} is documented`).toBeDefined();
      expect(res.status, key).toBe(Number(status));
      if (component === 'sse') {
        expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
        continue;
      }
      const parsed = v.safeParse(SCHEMAS[component!]!, await body(res));
      expect(parsed.issues, key).toBeUndefined();
    }
    await rt.close();
  });
});
