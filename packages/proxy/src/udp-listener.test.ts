import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { proxyTo } from '../test/proxies.js';
import { quantile, type Running, udpEcho } from '../test/servers.js';

let echo: Running | undefined;
const clients: Socket[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await echo?.close();
  echo = undefined;
});

/** Sends `n` numbered datagrams, 1 ms apart in bursts; counts each number that comes back. */
async function exchange(
  port: number,
  n: number,
  waitMs = 400,
): Promise<{ counts: Map<number, number>; rtt: number[] }> {
  const c = createSocket('udp4');
  clients.push(c);
  const counts = new Map<number, number>();
  const sentAt = new Map<number, number>();
  const rtt: number[] = [];
  c.on('message', (m) => {
    const i = m.readUInt32BE(0);
    counts.set(i, (counts.get(i) ?? 0) + 1);
    if (counts.get(i) === 1) rtt.push(performance.now() - sentAt.get(i)!);
  });
  await new Promise<void>((r) => c.bind(0, '127.0.0.1', () => r()));
  for (let i = 0; i < n; i++) {
    const b = Buffer.alloc(16);
    b.writeUInt32BE(i, 0);
    sentAt.set(i, performance.now());
    c.send(b, port, '127.0.0.1');
    if (i % 10 === 9) await new Promise((r) => setTimeout(r, 1)); // no burst beyond the socket buffers
  }
  await new Promise((r) => setTimeout(r, waitMs));
  return { counts, rtt };
}

describe('UDP proxy', () => {
  it('passes datagrams both ways with no toxic', { timeout: 20_000 }, async () => {
    echo = await udpEcho();
    const { port } = await proxyTo(echo.port, { protocol: 'udp' });
    const { counts } = await exchange(port, 500, 200);
    expect(counts.size).toBe(500);
  });

  it('loss drops its share of the datagrams (30 % of 2000)', { timeout: 20_000 }, async () => {
    echo = await udpEcho();
    const { port, proxy } = await proxyTo(echo.port, { protocol: 'udp' });
    proxy.toxics.add({ type: 'loss', stream: 'upstream', attributes: { percent: 30 } });
    const { counts } = await exchange(port, 2000);
    const lost = 1 - counts.size / 2000;
    // binomial(2000, 0.3): σ ≈ 1 %; ±4 σ
    expect(lost).toBeGreaterThan(0.26);
    expect(lost).toBeLessThan(0.34);
  });

  it('duplicate sends its share twice; latency delays each datagram', { timeout: 20_000 }, async () => {
    echo = await udpEcho();
    const { port, proxy } = await proxyTo(echo.port, { protocol: 'udp' });
    proxy.toxics.add({ type: 'duplicate', attributes: { percent: 50 } });
    proxy.toxics.add({ type: 'latency', stream: 'upstream', attributes: { latency: 50 } });
    const { counts, rtt } = await exchange(port, 400, 600);
    expect(counts.size).toBe(400);
    const twice = [...counts.values()].filter((x) => x === 2).length;
    expect(twice).toBeGreaterThan(400 * 0.4);
    expect(twice).toBeLessThan(400 * 0.6);
    expect(Math.min(...rtt)).toBeGreaterThanOrEqual(49);
    expect(quantile(rtt, 0.5)).toBeLessThan(80); // 400 datagrams in bursts on a shared machine: room, but not a second 50 ms
  });

  it('refuses stream-only toxics with a 400 that says why', async () => {
    echo = await udpEcho();
    const { proxy } = await proxyTo(echo.port, { protocol: 'udp' });
    expect(() => proxy.toxics.add({ type: 'bandwidth', attributes: { rate: 1 } })).toThrow(
      /bandwidth does not apply to a udp proxy/,
    );
  });
});
