import { afterEach, describe, expect, it } from 'vitest';
import { proxyTo } from '../../test/proxies.js';
import { closed, dial, echoServer, type Running, readAll, sourceServer } from '../../test/servers.js';
import { sliceOffsets } from './slicer.js';

let server: Running | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('slow_close, slicer, limit_data', () => {
  it('slow_close holds the close back by `delay`', { timeout: 20_000 }, async () => {
    server = await sourceServer(1000);
    const { port, proxy } = await proxyTo(server.port);
    proxy.toxics.add({ type: 'slow_close', attributes: { delay: 300 } });
    const r = await readAll(await dial(port));
    expect(r.bytes).toBe(1000);
    expect(r.ms).toBeGreaterThanOrEqual(290);
  });

  it('slicer cuts a chunk into slices of about average_size, `delay` µs apart, bytes intact', {
    timeout: 20_000,
  }, async () => {
    server = await echoServer();
    const { port, proxy } = await proxyTo(server.port);
    proxy.toxics.add({ type: 'slicer', attributes: { average_size: 100, size_variation: 20, delay: 5000 } });
    const s = await dial(port);
    const parts: Buffer[] = [];
    s.on('data', (d) => parts.push(d));
    const msg = Buffer.from('x'.repeat(1000));
    const t = performance.now();
    s.write(msg);
    while (Buffer.concat(parts).length < 1000 && performance.now() - t < 3000)
      await new Promise((r) => setTimeout(r, 5));
    s.destroy();
    expect(Buffer.concat(parts).equals(msg)).toBe(true);
    // ~10 slices, 5 ms apart: a busy machine may merge a few reads, never all of them
    expect(parts.length).toBeGreaterThanOrEqual(3);
    expect(performance.now() - t).toBeGreaterThanOrEqual(35);
  });

  it('slicer offsets follow Toxiproxy: contiguous, each within average ± variation', () => {
    const o = sliceOffsets({ average_size: 100, size_variation: 20, delay: 0 }, 0, 1000);
    expect(o[0]).toBe(0);
    expect(o.at(-1)).toBe(1000);
    for (let i = 1; i < o.length; i += 2) {
      expect(o[i]! - o[i - 1]!).toBeLessThanOrEqual(120);
      if (i + 1 < o.length) expect(o[i + 1]).toBe(o[i]);
    }
  });

  it('limit_data lets `bytes` through, then closes the connection', { timeout: 20_000 }, async () => {
    server = await sourceServer(100_000);
    const { port, proxy } = await proxyTo(server.port);
    proxy.toxics.add({ type: 'limit_data', attributes: { bytes: 12_345 } });
    const s = await dial(port);
    const r = readAll(s);
    expect(await closed(s)).toBe('end');
    expect((await r).bytes).toBe(12_345);
  });
});
