import { afterEach, describe, expect, it } from 'vitest';
import { proxyTo } from '../../test/proxies.js';
import { httpServer } from '../../test/servers.js';

let upstream: Awaited<ReturnType<typeof httpServer>> | undefined;
afterEach(async () => {
  await upstream?.close();
  upstream = undefined;
});

async function httpProxy() {
  upstream = await httpServer();
  const { port, proxy } = await proxyTo(upstream.port, { protocol: 'http' });
  return { url: (p: string) => `http://127.0.0.1:${port}${p}`, proxy };
}

describe('http proxy: faults on matching routes', () => {
  it('forwards untouched with no toxic', async () => {
    const { url } = await httpProxy();
    const r = await fetch(url('/a?b=1'));
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('ok /a?b=1');
    expect(r.headers.get('x-upstream')).toBe('yes');
  });

  it('http_status answers matching requests itself; others reach the upstream', async () => {
    const { url, proxy } = await httpProxy();
    proxy.toxics.add({
      type: 'http_status',
      attributes: { path: '/api/*', method: 'POST', status: 503, body: 'down for chaos' },
    });
    const hit = await fetch(url('/api/orders'), { method: 'POST', body: 'x' });
    expect(hit.status).toBe(503);
    expect(await hit.text()).toBe('down for chaos');
    expect((await fetch(url('/api/orders'))).status).toBe(200); // GET does not match
    expect((await fetch(url('/health'), { method: 'POST' })).status).toBe(200);
    expect(upstream!.requests()).toBe(2);
  });

  it('http_delay holds matching requests; header filter', async () => {
    const { url, proxy } = await httpProxy();
    proxy.toxics.add({ type: 'http_delay', attributes: { delay: 300, headers: { 'x-tenant': 'slow' } } });
    let t = performance.now();
    await (await fetch(url('/'), { headers: { 'x-tenant': 'slow' } })).text();
    expect(performance.now() - t).toBeGreaterThanOrEqual(295);
    t = performance.now();
    await (await fetch(url('/'), { headers: { 'x-tenant': 'fast' } })).text();
    expect(performance.now() - t).toBeLessThan(150);
  });

  it('http_abort resets the connection', async () => {
    const { url, proxy } = await httpProxy();
    proxy.toxics.add({ type: 'http_abort', attributes: { path: '/boom' } });
    const err = await fetch(url('/boom')).then(
      () => undefined,
      (e: Error & { cause?: { code?: string } }) => e.cause?.code,
    );
    expect(err).toBe('ECONNRESET');
    expect((await fetch(url('/fine'))).status).toBe(200);
  });

  it('http_body and http_header rewrite the response; request headers too', async () => {
    const { url, proxy } = await httpProxy();
    proxy.toxics.add({
      type: 'http_body',
      attributes: { body: '{"corrupt":true}', content_type: 'application/json' },
    });
    proxy.toxics.add({
      type: 'http_header',
      attributes: { set_headers: { 'x-chaos': '1' }, remove_headers: ['x-upstream'] },
    });
    proxy.toxics.add({
      type: 'http_header',
      name: 'req',
      attributes: { target: 'request', set_headers: { 'x-added': 'by-proxy' } },
    });
    const r = await fetch(url('/'));
    expect(await r.text()).toBe('{"corrupt":true}');
    expect(r.headers.get('content-type')).toBe('application/json');
    expect(r.headers.get('x-chaos')).toBe('1');
    expect(r.headers.get('x-upstream')).toBeNull();
    expect(r.headers.get('x-seen-header')).toBe('by-proxy');
  });

  it('toxicity is a share of requests', { timeout: 20_000 }, async () => {
    const { url, proxy } = await httpProxy();
    proxy.toxics.add({ type: 'http_status', toxicity: 0.25, attributes: { status: 500 } });
    let failed = 0;
    for (let i = 0; i < 200; i++) if ((await fetch(url('/'))).status === 500) failed++;
    // binomial(200, 0.25): σ ≈ 6; ±4 σ
    expect(failed).toBeGreaterThan(26);
    expect(failed).toBeLessThan(74);
  });

  it('stream toxics still apply under an http proxy (latency on the TCP front)', async () => {
    const { url, proxy } = await httpProxy();
    proxy.toxics.add({ type: 'latency', attributes: { latency: 200 } });
    const t = performance.now();
    await (await fetch(url('/'))).text();
    expect(performance.now() - t).toBeGreaterThanOrEqual(195);
  });
});
