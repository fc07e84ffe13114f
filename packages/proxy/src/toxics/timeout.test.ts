import { afterEach, describe, expect, it } from 'vitest';
import { proxyTo } from '../../test/proxies.js';
import { closed, dial, echoServer, roundTrip } from '../../test/servers.js';

let echo: Awaited<ReturnType<typeof echoServer>> | undefined;
afterEach(async () => {
  await echo?.close();
  echo = undefined;
});

describe('timeout toxic', () => {
  it('drops the data and closes the connection after `timeout`', { timeout: 20_000 }, async () => {
    echo = await echoServer();
    const { port, proxy } = await proxyTo(echo.port);
    proxy.toxics.add({ type: 'timeout', attributes: { timeout: 300 } });
    const s = await dial(port);
    let got = 0;
    s.on('data', (d) => (got += d.length));
    const t = performance.now();
    s.write('hello');
    expect(await closed(s)).toBe('end');
    expect(performance.now() - t).toBeGreaterThanOrEqual(290);
    expect(got).toBe(0);
  });

  it('timeout 0 is a black hole until removed; removal closes what it held, new connections are clean', {
    timeout: 20_000,
  }, async () => {
    echo = await echoServer();
    const { port, proxy } = await proxyTo(echo.port);
    proxy.toxics.add({ name: 'hole', type: 'timeout', attributes: { timeout: 0 } });
    const s = await dial(port);
    let got = 0;
    s.on('data', (d) => (got += d.length));
    s.write('hello');
    const still = await Promise.race([closed(s), new Promise((r) => setTimeout(() => r('open'), 500))]);
    expect(still).toBe('open');
    expect(got).toBe(0);
    proxy.toxics.remove('hole');
    expect(await closed(s)).toBe('end'); // Toxiproxy closes a connection whose data it dropped
    const fresh = await dial(port);
    expect(await roundTrip(fresh)).toBeLessThan(50);
    fresh.destroy();
  });
});
