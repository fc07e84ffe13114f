// Toxiproxy's own API tests (api_test.go), assertion for assertion, against this server: paths, JSON,
// status codes and error texts. Ports are picked free here instead of Toxiproxy's fixed 7070/3310.
import { createServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ProxyServer, startProxyServer } from './index.js';

let server: ProxyServer;
beforeAll(async () => {
  server = await startProxyServer({ port: 0 });
});
afterEach(() => server.proxies.clear());
afterAll(() => server.close());

const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
  const r = await fetch(server.url + path, {
    method,
    headers,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await r.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: r.status, text, json, headers: r.headers };
};

/** A free loopback port (bound and released). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

/** Does something listen there? */
async function up(listen: string): Promise<boolean> {
  const [host, port] = [
    listen.slice(0, listen.lastIndexOf(':')),
    Number(listen.slice(listen.lastIndexOf(':') + 1)),
  ];
  const { connect } = await import('node:net');
  return new Promise((r) => {
    const s = connect(port, host === 'localhost' ? '127.0.0.1' : host);
    s.once('connect', () => {
      s.destroy();
      r(true);
    });
    s.once('error', () => r(false));
  });
}

describe('Toxiproxy API compatibility (api_test.go)', () => {
  it('TestRequestId, TestBrowserGets403, TestNonBrowserGets200', async () => {
    expect(
      (await call('GET', '/version', undefined, { 'user-agent': 'curl' })).headers.get(
        'x-toxiproxy-request-id',
      ),
    ).toBeTruthy();
    const browser = await call('GET', '/proxies', undefined, {
      'user-agent': 'Mozilla/5.0 (Linux; Android 4.4.2)',
    });
    expect(browser.status).toBe(403);
    expect((await call('GET', '/proxies', undefined, { 'user-agent': 'Wget/2.1' })).status).toBe(200);
  });

  it('TestIndexWithNoProxies, TestCreateProxyBlankName, TestCreateProxyBlankUpstream', async () => {
    expect((await call('GET', '/proxies')).json).toEqual({});
    const blank = await call('POST', '/proxies', { name: '', listen: '', upstream: '' });
    expect(blank.status).toBe(400);
    expect(blank.json).toEqual({ error: 'missing required field: name', status: 400 });
    const noUp = await call('POST', '/proxies', { name: 'test', listen: '', upstream: '' });
    expect(noUp.json).toEqual({ error: 'missing required field: upstream', status: 400 });
  });

  it('TestPopulateProxy, TestPopulateDefaultEnabled, TestPopulateDisabledProxy', async () => {
    const [a, b] = [await freePort(), await freePort()];
    const r = await call('POST', '/populate', [
      { name: 'one', listen: `localhost:${a}`, upstream: 'localhost:7171', enabled: false },
      { name: 'two', listen: `localhost:${b}`, upstream: 'localhost:7474' }, // enabled by default
    ]);
    expect(r.status).toBe(201);
    expect(r.json.proxies.map((p: any) => p.name)).toEqual(['one', 'two']);
    expect(await up(`127.0.0.1:${a}`)).toBe(false);
    expect(await up(`127.0.0.1:${b}`)).toBe(true);
  });

  it('TestPopulateExistingProxy: an unchanged proxy is kept with its toxics, a changed one replaced', async () => {
    const [a, b, c] = [await freePort(), await freePort(), await freePort()];
    await call('POST', '/proxies', { name: 'one', listen: `localhost:${a}`, upstream: 'localhost:7171' });
    await call('POST', '/proxies', { name: 'two', listen: `localhost:${b}`, upstream: 'localhost:7474' });
    await call('POST', '/proxies/one/toxics', { type: 'latency', stream: 'downstream' });
    const r = await call('POST', '/populate', [
      { name: 'one', listen: `localhost:${a}`, upstream: 'localhost:7171' },
      { name: 'two', listen: `127.0.0.1:${c}`, upstream: 'localhost:7676' },
    ]);
    expect(r.status).toBe(201);
    expect(r.json.proxies.map((p: any) => p.listen)).toEqual([`127.0.0.1:${a}`, `127.0.0.1:${c}`]);
    const toxics = (await call('GET', '/proxies/one/toxics')).json;
    expect(toxics.map((t: any) => t.type)).toEqual(['latency']);
    expect(await up(`127.0.0.1:${c}`)).toBe(true);
  });

  it('TestPopulateWithBadName: nothing is created', async () => {
    const r = await call('POST', '/populate', [
      { name: 'one', listen: 'localhost:0', upstream: 'localhost:7171' },
      { name: '', listen: '' },
    ]);
    expect(r.status).toBe(400);
    expect(r.json.error).toBe('missing required field: name at proxy 2');
    expect((await call('GET', '/proxies')).json).toEqual({});
  });

  it('TestPopulateProxyWithBadDataShouldReturnError: stops at the bad one, keeps the ones before', async () => {
    const r = await call('POST', '/populate', [
      { name: 'one', listen: 'localhost:0', upstream: 'localhost:7171' },
      { name: 'two', listen: 'local373', upstream: 'localhost:7474' },
      { name: 'three', listen: 'localhost:0', upstream: 'localhost:7676' },
    ]);
    expect(r.status).toBe(500);
    expect(r.json.error).toBe('listen tcp: address local373: missing port in address');
    expect(Object.keys((await call('GET', '/proxies')).json)).toEqual(['one']);
  });

  it('TestListingProxies, TestCreateAndGetProxy: listen resolved, no toxics', async () => {
    const port = await freePort();
    const created = await call('POST', '/proxies', {
      name: 'mysql_master',
      listen: `localhost:${port}`,
      upstream: 'localhost:20001',
    });
    expect(created.status).toBe(201);
    const list = (await call('GET', '/proxies')).json;
    expect(list.mysql_master).toEqual({
      name: 'mysql_master',
      listen: `127.0.0.1:${port}`,
      upstream: 'localhost:20001',
      enabled: true,
      toxics: [],
    });
    expect((await call('GET', '/proxies/mysql_master')).json).toEqual(list.mysql_master);
  });

  it('TestCreateDisabledProxy / AndEnable: listen stays as written until it binds', async () => {
    const port = await freePort();
    await call('POST', '/proxies', {
      name: 'm',
      listen: `localhost:${port}`,
      upstream: 'localhost:20001',
      enabled: false,
    });
    const p = (await call('GET', '/proxies/m')).json;
    expect(p).toMatchObject({ listen: `localhost:${port}`, enabled: false });
    expect(await up(`127.0.0.1:${port}`)).toBe(false);
    expect((await call('POST', '/proxies/m', { ...p, enabled: true })).json.enabled).toBe(true);
    expect(await up(`127.0.0.1:${port}`)).toBe(true);
    expect((await call('PATCH', '/proxies/m', { enabled: false })).json.enabled).toBe(false);
    expect(await up(`127.0.0.1:${port}`)).toBe(false);
  });

  it('TestDeleteProxy', async () => {
    await call('POST', '/proxies', { name: 'm', listen: 'localhost:0', upstream: 'localhost:20001' });
    expect((await call('DELETE', '/proxies/m')).status).toBe(204);
    expect((await call('GET', '/proxies')).json).toEqual({});
    const again = await call('DELETE', '/proxies/m');
    expect(again.status).toBe(404);
    expect(again.json).toEqual({ error: 'proxy not found', status: 404 });
  });

  it('TestCreateProxyPortConflict, TestCreateProxyNameConflict', async () => {
    const port = await freePort();
    await call('POST', '/proxies', { name: 'm', listen: `localhost:${port}`, upstream: 'localhost:20001' });
    const conflict = await call('POST', '/proxies', {
      name: 'test',
      listen: `localhost:${port}`,
      upstream: 'localhost:20001',
    });
    expect(conflict.status).toBe(500);
    expect(conflict.json.error).toBe(`listen tcp 127.0.0.1:${port}: bind: address already in use`);
    const named = await call('POST', '/proxies', {
      name: 'm',
      listen: 'localhost:0',
      upstream: 'localhost:20001',
    });
    expect(named.status).toBe(409);
    expect(named.json).toEqual({ error: 'proxy already exists', status: 409 });
    await call('DELETE', '/proxies/m');
    expect(
      (await call('POST', '/proxies', { name: 'test', listen: `localhost:${port}`, upstream: 'x:1' })).status,
    ).toBe(201);
  });

  it('TestResetState: toxics gone, proxies enabled', async () => {
    await call('POST', '/proxies', { name: 'm', listen: 'localhost:0', upstream: 'localhost:20001' });
    const t = await call('POST', '/proxies/m/toxics', {
      type: 'latency',
      stream: 'downstream',
      attributes: { latency: 100, jitter: 10 },
    });
    expect(t.json.attributes).toMatchObject({ latency: 100, jitter: 10 });
    await call('POST', '/proxies/m', { enabled: false });
    expect((await call('POST', '/reset')).status).toBe(204);
    const p = (await call('GET', '/proxies/m')).json;
    expect(p.enabled).toBe(true);
    expect(p.toxics).toEqual([]);
    expect(await up(p.listen)).toBe(true);
  });

  it('TestAddToxic, TestAddMultipleToxics, TestAddConflictingToxic(s)Multistream(Defaults)', async () => {
    await call('POST', '/proxies', { name: 'm', listen: 'localhost:0', upstream: 'localhost:20001' });
    const t = await call('POST', '/proxies/m/toxics', {
      name: 'foobar',
      type: 'latency',
      stream: 'downstream',
      attributes: { latency: 100, jitter: 10 },
    });
    expect(t.status).toBe(200);
    expect(t.json).toEqual({
      attributes: { latency: 100, jitter: 10, distribution: 'uniform' },
      name: 'foobar',
      type: 'latency',
      stream: 'downstream',
      toxicity: 1,
    });
    const dup = await call('POST', '/proxies/m/toxics', {
      name: 'foobar',
      type: 'latency',
      stream: 'upstream',
    });
    expect(dup.status).toBe(409);
    expect(dup.json).toEqual({ error: 'toxic already exists', status: 409 });
    await call('POST', '/proxies/m/toxics', { type: 'latency', stream: 'upstream' });
    await call('POST', '/proxies/m/toxics', { type: 'latency' });
    const names = (await call('GET', '/proxies/m/toxics')).json.map((x: any) => `${x.name}/${x.stream}`);
    expect(names).toEqual([
      'foobar/downstream',
      'latency_upstream/upstream',
      'latency_downstream/downstream',
    ]);
  });

  it('TestAddToxicWithToxicity, TestAddNoop, TestUpdateToxics, TestRemoveToxic', async () => {
    await call('POST', '/proxies', { name: 'm', listen: 'localhost:0', upstream: 'localhost:20001' });
    const t = await call('POST', '/proxies/m/toxics', {
      type: 'latency',
      toxicity: 0.2,
      attributes: { latency: 100, jitter: 10 },
    });
    expect(t.json).toMatchObject({ name: 'latency_downstream', toxicity: 0.2 });
    const noop = await call('POST', '/proxies/m/toxics', { name: 'foobar', type: 'noop', stream: '' });
    expect(noop.json).toEqual({
      attributes: {},
      name: 'foobar',
      type: 'noop',
      stream: 'downstream',
      toxicity: 1,
    });
    const u1 = await call('PATCH', '/proxies/m/toxics/latency_downstream', {
      toxicity: 0.5,
      attributes: { latency: 1000 },
    });
    expect(u1.json).toMatchObject({ toxicity: 0.5, attributes: { latency: 1000, jitter: 10 } });
    const u2 = await call('POST', '/proxies/m/toxics/latency_downstream', { attributes: { latency: 500 } });
    expect(u2.json).toMatchObject({ toxicity: 0.5, attributes: { latency: 500, jitter: 10 } });
    expect((await call('GET', '/proxies/m/toxics/latency_downstream')).json).toEqual(u2.json);
    expect((await call('DELETE', '/proxies/m/toxics/latency_downstream')).status).toBe(204);
    const gone = await call('GET', '/proxies/m/toxics/latency_downstream');
    expect(gone.status).toBe(404);
    expect(gone.json).toEqual({ error: 'toxic not found', status: 404 });
    expect((await call('PATCH', '/proxies/m/toxics/nope', {})).status).toBe(404);
  });

  it('TestVersionEndpointReturnsVersion, TestInvalidStream, bad bodies and types', async () => {
    const v = await call('GET', '/version');
    expect(v.text).toBe('{"version": "0.1.0"}\n');
    await call('POST', '/proxies', { name: 'm', listen: 'localhost:0', upstream: 'localhost:20001' });
    const stream = await call('POST', '/proxies/m/toxics', { type: 'latency', stream: 'walrustream' });
    expect(stream.json).toEqual({
      error: 'stream was invalid, can be either upstream or downstream',
      status: 400,
    });
    expect((await call('POST', '/proxies/m/toxics', { type: 'walrus' })).json).toEqual({
      error: 'invalid toxic type',
      status: 400,
    });
    const bad = await call('POST', '/proxies/m/toxics', '{not json');
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatch(/^bad request body: /);
    const float = await call('POST', '/proxies/m/toxics', { type: 'latency', attributes: { latency: 1.5 } });
    expect(float.status).toBe(400);
    expect(float.json.error).toMatch(/^bad request body: attributes\.latency/);
  });

  it('port 0 is reported as the bound address; toxics can be given at creation (#79)', async () => {
    const r = await call('POST', '/proxies', {
      name: 'm',
      listen: '127.0.0.1:0',
      upstream: 'localhost:20001',
      toxics: [{ type: 'latency', attributes: { latency: 5 } }],
    });
    expect(r.json.listen).toMatch(/^127\.0\.0\.1:[1-9]\d*$/);
    expect(r.json.toxics.map((t: any) => t.name)).toEqual(['latency_downstream']);
    expect(await up(r.json.listen)).toBe(true);
    // a refused toxic refuses the proxy: nothing half-made is left
    const bad = await call('POST', '/proxies', { name: 'n', upstream: 'x:1', toxics: [{ type: 'walrus' }] });
    expect(bad.status).toBe(400);
    expect((await call('GET', '/proxies/n')).status).toBe(404);
  });
});
