import { afterEach, describe, expect, it } from 'vitest';
import { proxyTo } from '../../test/proxies.js';
import { dial, type Running, readAll, sourceServer } from '../../test/servers.js';

let src: Running | undefined;
afterEach(async () => {
  await src?.close();
  src = undefined;
});

describe('bandwidth toxic on real loopback traffic', () => {
  it('holds one connection to its rate (KB/s)', { timeout: 20_000 }, async () => {
    src = await sourceServer(300_000);
    const { port, proxy } = await proxyTo(src.port);
    proxy.toxics.add({ type: 'bandwidth', attributes: { rate: 500 } });
    const r = await readAll(await dial(port));
    expect(r.bytes).toBe(300_000);
    const kbps = r.bytes / r.ms; // bytes per ms = KB/s
    expect(kbps).toBeGreaterThan(400);
    expect(kbps).toBeLessThan(560);
  });

  it('scope proxy: concurrent connections share the rate; scope connection: each gets it', {
    timeout: 20_000,
  }, async () => {
    src = await sourceServer(150_000);
    const { port, proxy } = await proxyTo(src.port);
    const aggregate = async () => {
      const t = performance.now();
      const all = await Promise.all([1, 2, 3].map(async () => readAll(await dial(port))));
      return all.reduce((n, r) => n + r.bytes, 0) / (performance.now() - t);
    };
    proxy.toxics.add({ name: 'bw', type: 'bandwidth', attributes: { rate: 500, scope: 'proxy' } });
    const shared = await aggregate();
    proxy.toxics.update('bw', { attributes: { scope: 'connection' } });
    const each = await aggregate();
    expect(shared).toBeGreaterThan(400);
    expect(shared).toBeLessThan(560);
    expect(each).toBeGreaterThan(1200); // 3 × 500 KB/s
  });

  it('with no toxic the data is not limited (and removal restores it)', { timeout: 20_000 }, async () => {
    src = await sourceServer(2_000_000);
    const { port } = await proxyTo(src.port);
    const r = await readAll(await dial(port));
    expect(r.bytes).toBe(2_000_000);
    expect(r.bytes / r.ms).toBeGreaterThan(5000); // > 5 MB/s on loopback, far above any rate used here
  });
});
