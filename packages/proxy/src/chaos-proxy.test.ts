import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { dial, echoServer, roundTrip } from '../test/servers.js';
import { type ChaosProxy, chaosProxy, down, latency, resetPeer, startProxyServer } from './index.js';

let echo: Awaited<ReturnType<typeof echoServer>>;
let dep: ChaosProxy;
beforeAll(async () => {
  echo = await echoServer();
  dep = await chaosProxy({ upstream: echo.port });
});
afterAll(async () => {
  await dep.close();
  await echo.close();
});

async function rtt(): Promise<number> {
  const s = await dial(dep.port);
  try {
    return await roundTrip(s);
  } finally {
    s.destroy();
  }
}

describe('chaosProxy', () => {
  it('gives an address in front of the dependency', async () => {
    expect(dep.address).toBe(`127.0.0.1:${dep.port}`);
    expect(await rtt()).toBeLessThan(50);
  });

  it('with(): the chaos is in force inside, gone after', async () => {
    const inside = await dep.with(latency('200ms'), rtt);
    expect(inside).toBeGreaterThanOrEqual(195);
    expect(await rtt()).toBeLessThan(50);
  });

  it('with(): removed also when the callback throws, and the error comes through', async () => {
    await expect(
      dep.with([latency('100ms'), resetPeer({ stream: 'upstream' })], async () => {
        throw new Error('the code under test failed');
      }),
    ).rejects.toThrow('the code under test failed');
    expect(await rtt()).toBeLessThan(50);
  });

  it('add() + onTestFinished: the toxic lives for this test only', async () => {
    const h = await dep.add(latency('150ms'));
    onTestFinished(h.remove);
    expect(await rtt()).toBeGreaterThanOrEqual(145);
  });

  it('… and the next test starts clean', async () => {
    expect(await rtt()).toBeLessThan(50);
  });

  it('down(): connections are refused while it holds', async () => {
    await dep.with(down(), async () => {
      await expect(dial(dep.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    });
    expect(await rtt()).toBeLessThan(50);
  });

  it('control: drives a running server instead (faultline-proxy or toxiproxy-server)', async () => {
    const server = await startProxyServer({ port: 0 });
    try {
      const remote = await chaosProxy({
        upstream: `127.0.0.1:${echo.port}`,
        control: server.url,
        name: 'db',
      });
      const h = await remote.add(latency('100ms'));
      expect(server.proxies.get('db').toxics.list()).toHaveLength(1);
      await h.remove();
      await h.remove(); // idempotent
      expect(server.proxies.get('db').toxics.list()).toHaveLength(0);
      await remote.close();
      expect(server.proxies.list()).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
