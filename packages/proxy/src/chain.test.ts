import { afterEach, describe, expect, it } from 'vitest';
import { proxyTo } from '../test/proxies.js';
import { dial, echoServer, type Running, readAll, roundTrip, sourceServer } from '../test/servers.js';

let server: Running | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('adding and removing toxics on live connections', () => {
  it('removal restores the clean path on the same connection and delivers what the toxic held, in order', {
    timeout: 20_000,
  }, async () => {
    server = await echoServer();
    const { port, proxy } = await proxyTo(server.port);
    const s = await dial(port);
    const clean = await roundTrip(s);
    proxy.toxics.add({ name: 'slow', type: 'latency', attributes: { latency: 300 } });
    expect(await roundTrip(s)).toBeGreaterThanOrEqual(295); // added to a live connection
    const got: Buffer[] = [];
    s.on('data', (d) => got.push(d));
    s.write('held-1|');
    s.write('held-2|');
    await new Promise((r) => setTimeout(r, 50));
    const t = performance.now();
    proxy.toxics.remove('slow');
    while (Buffer.concat(got).length < 14 && performance.now() - t < 1000)
      await new Promise((r) => setTimeout(r, 2));
    expect(performance.now() - t).toBeLessThan(100); // handed on at once, not after the 300 ms
    expect(Buffer.concat(got).toString()).toBe('held-1|held-2|');
    s.removeAllListeners('data');
    expect(await roundTrip(s)).toBeLessThan(clean + 20);
    s.destroy();
  });

  it('removing a toxic under heavy traffic returns at once (Toxiproxy #88, #558)', {
    timeout: 30_000,
  }, async () => {
    server = await sourceServer(20_000_000);
    const { port, proxy } = await proxyTo(server.port);
    proxy.toxics.add({ name: 'bw', type: 'bandwidth', attributes: { rate: 2000 } });
    proxy.toxics.add({ name: 'lat', type: 'latency', attributes: { latency: 100, jitter: 50 } });
    const readers = await Promise.all([1, 2, 3, 4].map(() => dial(port)));
    const done = readers.map((s) => readAll(s));
    await new Promise((r) => setTimeout(r, 300));
    const times: number[] = [];
    for (const name of ['lat', 'bw']) {
      const t = performance.now();
      proxy.toxics.remove(name);
      times.push(performance.now() - t);
    }
    expect(Math.max(...times)).toBeLessThan(50);
    const all = await Promise.all(done);
    for (const r of all) expect(r.bytes).toBe(20_000_000); // nothing lost in the swap
  });

  it('toxicity is a share of connections: 30 % of 100 connections get the latency', {
    timeout: 30_000,
  }, async () => {
    server = await echoServer();
    const { port, proxy } = await proxyTo(server.port);
    proxy.toxics.add({ type: 'latency', toxicity: 0.3, attributes: { latency: 100 } });
    const rtts = await Promise.all(
      Array.from({ length: 100 }, async () => {
        const s = await dial(port);
        await roundTrip(s); // the first one also waits for the upstream dial, on a busy loop
        const a = await roundTrip(s);
        const b = await roundTrip(s); // same connection, same draw
        s.destroy();
        return [a, b] as const;
      }),
    );
    const slow = rtts.filter(([a]) => a >= 95).length;
    for (const [a, b] of rtts) expect(a >= 95, `${a} and ${b} ms`).toBe(b >= 95);
    // binomial(100, 0.3): σ ≈ 4.6; 12..48 is ±4 σ
    expect(slow).toBeGreaterThan(12);
    expect(slow).toBeLessThan(48);
  });

  it('a disabled proxy refuses connections and drops the open ones; enabled again it serves', {
    timeout: 20_000,
  }, async () => {
    server = await echoServer();
    const { port, proxies } = await proxyTo(server.port);
    const s = await dial(port);
    const gone = new Promise((r) => s.once('close', r));
    await proxies.update('p', { enabled: false });
    await gone;
    await expect(dial(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await proxies.update('p', { enabled: true });
    const again = await dial(port);
    expect(await roundTrip(again)).toBeLessThan(50);
    again.destroy();
  });
});
