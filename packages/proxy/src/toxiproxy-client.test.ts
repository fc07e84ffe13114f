// toxiproxy-node-client (a real Toxiproxy client from npm) drives this server as it would Toxiproxy.
import { Toxiproxy, ToxiproxyError } from 'toxiproxy-node-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dial, echoServer, roundTrip } from '../test/servers.js';
import { type ProxyServer, startProxyServer } from './index.js';

let server: ProxyServer;
let echo: Awaited<ReturnType<typeof echoServer>>;
beforeAll(async () => {
  server = await startProxyServer({ port: 0 });
  echo = await echoServer();
});
afterAll(async () => {
  await server.close();
  await echo.close();
});

describe('toxiproxy-node-client against faultline-proxy', () => {
  it('creates a proxy, adds, reads, updates and removes a latency toxic that real traffic feels', {
    timeout: 20_000,
  }, async () => {
    const toxiproxy = new Toxiproxy(server.url);
    expect((await toxiproxy.getVersion()).trim()).toBe('{"version": "0.1.0"}');
    const proxy = await toxiproxy.createProxy({
      name: 'echo',
      listen: '127.0.0.1:0',
      upstream: `127.0.0.1:${echo.port}`,
    });
    expect(proxy.listen).toMatch(/^127\.0\.0\.1:\d+$/);
    const port = Number(proxy.listen.split(':')[1]);
    const s = await dial(port);
    expect(await roundTrip(s)).toBeLessThan(50);

    const toxic = await proxy.addToxic({
      name: 'slow',
      type: 'latency',
      stream: 'downstream',
      toxicity: 1,
      attributes: { latency: 200, jitter: 0 },
    } as never);
    expect(toxic.attributes).toMatchObject({ latency: 200, jitter: 0 });
    expect(await roundTrip(s)).toBeGreaterThanOrEqual(195);

    const read = await proxy.getToxic('slow');
    expect(read.toJson()).toMatchObject({ name: 'slow', type: 'latency', stream: 'downstream', toxicity: 1 });
    const updated = await read.update({ attributes: { latency: 100 } } as never);
    expect(updated.attributes).toMatchObject({ latency: 100 });
    const rtt = await roundTrip(s);
    expect(rtt).toBeGreaterThanOrEqual(95);
    expect(rtt).toBeLessThan(190);

    await updated.remove();
    expect(await roundTrip(s)).toBeLessThan(50);
    s.destroy();

    const all = await toxiproxy.getAll();
    expect(Object.keys(all)).toEqual(['echo']);
    const down = await all.echo!.update({ ...all.echo!.toJson(), enabled: false });
    expect(down.enabled).toBe(false);
    await expect(dial(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await toxiproxy.reset();
    expect((await toxiproxy.get('echo')).enabled).toBe(true);

    const populated = await toxiproxy.populate([
      { name: 'echo', listen: proxy.listen, upstream: `127.0.0.1:${echo.port}` },
      { name: 'second', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echo.port}` },
    ]);
    expect(Object.keys(populated).sort()).toEqual(['echo', 'second']);
    await populated.second!.remove();
    await expect(toxiproxy.get('second')).rejects.toBeInstanceOf(ToxiproxyError);
    await (await toxiproxy.get('echo')).remove();
  });
});
