import { afterEach, describe, expect, it } from 'vitest';
import { proxyTo } from '../../test/proxies.js';
import { dial, echoServer, quantile, type Running, roundTrip } from '../../test/servers.js';
import { drawDelay } from '../jitter.js';

let echo: Running | undefined;
afterEach(async () => {
  await echo?.close();
  echo = undefined;
});

/** Round trips through a proxy with this latency toxic (downstream only: one delay per round trip). */
async function rtts(attributes: Record<string, unknown>, n: number): Promise<number[]> {
  echo = await echoServer();
  const { port, proxy } = await proxyTo(echo.port);
  proxy.toxics.add({ type: 'latency', attributes });
  const s = await dial(port);
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await roundTrip(s));
  s.destroy();
  return out;
}

describe('latency toxic on real loopback traffic', () => {
  it('adds latency to every chunk: p50 within 3 ms of what was asked', { timeout: 20_000 }, async () => {
    const r = await rtts({ latency: 40 }, 25);
    expect(Math.min(...r)).toBeGreaterThanOrEqual(39.5);
    expect(quantile(r, 0.5)).toBeLessThan(43);
  });

  it('uniform jitter spreads over latency ± jitter, not beyond', { timeout: 20_000 }, async () => {
    const r = await rtts({ latency: 40, jitter: 20 }, 60);
    expect(Math.min(...r)).toBeGreaterThanOrEqual(19.5);
    expect(quantile(r, 0.95)).toBeLessThan(64);
    // a spread, not a constant: the middle half covers a good part of the 40 ms range
    expect(quantile(r, 0.75) - quantile(r, 0.25)).toBeGreaterThan(10);
  });

  it('pareto jitter never goes below latency and has a long tail', { timeout: 20_000 }, async () => {
    const r = await rtts({ latency: 20, jitter: 10, distribution: 'pareto' }, 60);
    expect(Math.min(...r)).toBeGreaterThanOrEqual(19.5);
    expect(quantile(r, 0.5)).toBeLessThan(20 + 10 * 0.41 + 6);
    expect(Math.max(...r)).toBeGreaterThan(20 + 10 * 0.41 + 2); // some draws land in the tail
  });

  it('keeps the byte order and does not pile delays up for back-to-back chunks', {
    timeout: 20_000,
  }, async () => {
    echo = await echoServer();
    const { port, proxy } = await proxyTo(echo.port);
    proxy.toxics.add({ type: 'latency', attributes: { latency: 50, jitter: 40 } });
    const s = await dial(port);
    const got: Buffer[] = [];
    s.on('data', (d) => got.push(d));
    const t = performance.now();
    const sent: string[] = [];
    for (let i = 0; i < 40; i++) {
      sent.push(`<${i}>`);
      s.write(`<${i}>`);
      await new Promise((r) => setTimeout(r, 2));
    }
    const all = sent.join('');
    while (Buffer.concat(got).length < all.length && performance.now() - t < 5000)
      await new Promise((r) => setTimeout(r, 5));
    const took = performance.now() - t;
    s.destroy();
    expect(Buffer.concat(got).toString()).toBe(all);
    // 40 chunks sent over ~100 ms each delayed ≤ 90 ms: done well under their sum (40 × 50 ms)
    expect(took).toBeLessThan(600);
  });
});

describe('jitter distributions (the documented quantiles)', () => {
  const draws = (d: 'uniform' | 'normal' | 'pareto') =>
    Array.from({ length: 20_000 }, () => drawDelay(100, 20, d));

  it('uniform: flat over [L−J, L+J]', () => {
    const x = draws('uniform');
    expect(Math.min(...x)).toBeGreaterThanOrEqual(80);
    expect(Math.max(...x)).toBeLessThanOrEqual(120);
    expect(quantile(x, 0.25)).toBeCloseTo(90, 0);
    expect(quantile(x, 0.75)).toBeCloseTo(110, 0);
  });

  it('normal: J is the standard deviation', () => {
    const x = draws('normal');
    expect(quantile(x, 0.5)).toBeCloseTo(100, 0);
    expect(quantile(x, 0.8413)).toBeGreaterThan(118); // + 1 σ
    expect(quantile(x, 0.8413)).toBeLessThan(122);
  });

  it('pareto: median L + 0.41 J, p90 L + 2.16 J, p99 L + 9 J, never below L', () => {
    const x = draws('pareto');
    expect(Math.min(...x)).toBeGreaterThanOrEqual(100);
    expect(quantile(x, 0.5)).toBeGreaterThan(100 + 20 * 0.36);
    expect(quantile(x, 0.5)).toBeLessThan(100 + 20 * 0.47);
    expect(quantile(x, 0.9)).toBeGreaterThan(100 + 20 * 1.95);
    expect(quantile(x, 0.9)).toBeLessThan(100 + 20 * 2.4);
    expect(quantile(x, 0.99)).toBeGreaterThan(100 + 20 * 7);
    expect(Math.max(...x)).toBeLessThanOrEqual(100 + 20 * 99);
  });
});
