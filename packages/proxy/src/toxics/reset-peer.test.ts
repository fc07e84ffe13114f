import { afterEach, describe, expect, it } from 'vitest';
import { proxyTo } from '../../test/proxies.js';
import { closed, dial, echoServer } from '../../test/servers.js';

let echo: Awaited<ReturnType<typeof echoServer>> | undefined;
afterEach(async () => {
  await echo?.close();
  echo = undefined;
});

/** Opens a connection, sends a byte, tells how it ended within `ms` ('open' when it did not). */
async function fate(port: number, ms = 1500): Promise<string> {
  const s = await dial(port);
  s.on('data', () => {});
  s.write('x');
  const how = await Promise.race([closed(s), new Promise<string>((r) => setTimeout(() => r('open'), ms))]);
  s.destroy();
  return how;
}

describe('reset_peer toxic', () => {
  it('resets the connection: the client sees ECONNRESET, and so does the server', {
    timeout: 20_000,
  }, async () => {
    echo = await echoServer();
    const { port, proxy } = await proxyTo(echo.port);
    proxy.toxics.add({ type: 'reset_peer', stream: 'upstream', attributes: { timeout: 0 } });
    expect(await fate(port)).toBe('ECONNRESET');
    await new Promise((r) => setTimeout(r, 50));
    expect(echo.resets()).toBe(1);
  });

  it('waits `timeout` ms after the first data', { timeout: 20_000 }, async () => {
    echo = await echoServer();
    const { port, proxy } = await proxyTo(echo.port);
    proxy.toxics.add({ type: 'reset_peer', stream: 'upstream', attributes: { timeout: 300 } });
    const t = performance.now();
    expect(await fate(port)).toBe('ECONNRESET');
    expect(performance.now() - t).toBeGreaterThanOrEqual(295);
  });

  it('honours toxicity: about that share of 80 connections is reset (Toxiproxy #603)', {
    timeout: 30_000,
  }, async () => {
    echo = await echoServer();
    const { port, proxy } = await proxyTo(echo.port);
    proxy.toxics.add({ type: 'reset_peer', stream: 'upstream', toxicity: 0.5, attributes: { timeout: 0 } });
    const fates = await Promise.all(Array.from({ length: 80 }, () => fate(port, 400)));
    const reset = fates.filter((f) => f === 'ECONNRESET').length;
    expect(fates.filter((f) => f !== 'ECONNRESET' && f !== 'open')).toEqual([]);
    // binomial(80, 0.5): σ ≈ 4.5; 22..58 is ±4 σ
    expect(reset).toBeGreaterThan(22);
    expect(reset).toBeLessThan(58);
  });

  it('removed: new connections are clean again', { timeout: 20_000 }, async () => {
    echo = await echoServer();
    const { port, proxy } = await proxyTo(echo.port);
    proxy.toxics.add({ name: 'r', type: 'reset_peer', stream: 'upstream', attributes: {} });
    expect(await fate(port)).toBe('ECONNRESET');
    proxy.toxics.remove('r');
    expect(await fate(port, 300)).toBe('open');
  });
});
