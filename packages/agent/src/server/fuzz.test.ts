// 10 000 malformed or hostile requests against a served agent (real sockets, real HTTP parser, the
// real packs' schemas): no crash, nothing run, every answer a 4xx with a JSON error body.
// The runtime's run() is a tripwire: validation is real, but a request that got past it would
// throw here instead of injecting anything into this machine — and fail the test.
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import fc from 'fast-check';
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packRuntime, TOKEN, tempDir } from '../../test/helpers.js';
import { fastRequest, type Req, slowRequest } from '../../test/hostile.js';
import { errorBodySchema } from '../wire.js';
import { type ServedAgent, serveAgent } from './serve.js';

const FAST_RUNS = 9_900;
const SLOW_RUNS = 100;
const BODY_LIMIT = 64 * 1024;
const BODY_TIMEOUT_MS = 300;

let served: ServedAgent;
let runtime: Awaited<ReturnType<typeof packRuntime>>;
let fillDir: string;
let port: number;
const tripped: string[] = [];
const answers = new Map<number, number>();

beforeAll(async () => {
  fillDir = await tempDir();
  runtime = await packRuntime();
  const tripwire = {
    ...runtime,
    run: (spec: unknown) => {
      tripped.push(JSON.stringify(spec).slice(0, 500));
      throw new Error('fuzz tripwire: a hostile request reached run()');
    },
  };
  served = await serveAgent({
    runtime: tripwire,
    token: TOKEN,
    port: 0,
    maxBodyBytes: BODY_LIMIT,
    bodyTimeoutMs: BODY_TIMEOUT_MS,
  });
  port = served.port;
});
afterAll(async () => {
  await served?.close();
  await runtime?.close();
});

const keepAlive = new HttpAgent({ keepAlive: true, maxSockets: 8 });

function send(r: Req): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (r.auth === 'ok') headers.authorization = `Bearer ${TOKEN}`;
    if (r.auth === 'wrong') headers.authorization = `Bearer ${TOKEN.replace(/./, 'x')}`;
    const req = httpRequest(
      { host: '127.0.0.1', port, method: r.method, path: r.path, headers, agent: keepAlive },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }),
        );
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer to ${r.method} ${r.path}`)));
    req.on('error', reject);
    req.end(r.body);
  });
}

function expectJson4xx(what: string, a: { status: number; type: string; body: string }): void {
  answers.set(a.status, (answers.get(a.status) ?? 0) + 1);
  expect(a.status, what).toBeGreaterThanOrEqual(400);
  expect(a.status, what).toBeLessThan(500);
  expect(a.type, what).toMatch(/^application\/json/);
  const parsed = v.safeParse(errorBodySchema, JSON.parse(a.body));
  expect(parsed.issues, what).toBeUndefined();
}

/** A request written by hand on a raw socket: malformed HTTP, or a body that trickles in and stops. */
function raw(text: string, stallMs = 0): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    s.setEncoding('utf8');
    s.on('data', (d) => {
      got += d;
      const [head, body = ''] = got.split('\r\n\r\n');
      const length = Number(/content-length: (\d+)/i.exec(head ?? '')?.[1] ?? -1);
      if (length >= 0 && Buffer.byteLength(body) >= length) {
        s.destroy();
        resolve({
          status: Number(/^HTTP\/1\.1 (\d+)/.exec(head ?? '')?.[1]),
          type: /content-type: ([^\r]*)/i.exec(head ?? '')?.[1] ?? '',
          body,
        });
      }
    });
    s.on('error', reject);
    s.setTimeout(15_000, () => s.destroy(new Error('no answer')));
    s.write(text);
    if (stallMs) setTimeout(() => s.writable && s.write('{'), stallMs);
  });
}

describe('10 000 malformed or hostile requests', () => {
  it(`${FAST_RUNS} with hostile specs, bodies, paths and tokens: every answer a 4xx with a JSON error body`, {
    timeout: 300_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(fastRequest(BODY_LIMIT), async (r) => {
        expectJson4xx(`${r.method} ${r.path} ${String(r.body).slice(0, 200)}`, await send(r));
      }),
      { numRuns: FAST_RUNS },
    );
  });

  it(`${SLOW_RUNS} slow, chunked or broken at the HTTP level: 408, 413, 400/431, each with a JSON body`, {
    timeout: 120_000,
  }, async () => {
    const samples = fc.sample(slowRequest(TOKEN, BODY_LIMIT), SLOW_RUNS);
    for (let i = 0; i < samples.length; i += 25) {
      const batch = samples.slice(i, i + 25);
      const got = await Promise.all(batch.map((text) => raw(text)));
      for (const [k, a] of got.entries()) expectJson4xx(batch[k]!.slice(0, 120), a);
    }
    expect(answers.get(408)).toBeGreaterThan(0);
  });

  it('afterwards: the agent still serves, nothing reached run(), nothing was journaled or filled', async () => {
    const health = await send({ method: 'GET', path: '/healthz', auth: 'none', body: undefined });
    expect(health.status).toBe(200);
    expect(tripped).toEqual([]);
    expect(await runtime.journal.pending()).toEqual([]);
    expect(await runtime.listRunLogs()).toEqual([]);
    const { readdir } = await import('node:fs/promises');
    expect(await readdir(fillDir)).toEqual([]);
    const total = [...answers.values()].reduce((a, b) => a + b, 0);
    expect(total).toBe(FAST_RUNS + SLOW_RUNS);
    console.log(`fuzz answers by status: ${JSON.stringify(Object.fromEntries([...answers].sort()))}`);
  });
});
