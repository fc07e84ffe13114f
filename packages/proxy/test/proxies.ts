// A proxy collection with one proxy per test, torn down after it.
import { afterEach } from 'vitest';
import { ProxyCollection, type ProxyInput, type ToxicProxy } from '../src/index.js';

const collections = new Set<ProxyCollection>();
afterEach(async () => {
  for (const c of collections) await c.clear();
  collections.clear();
});

/** Starts a proxy in front of `upstreamPort`, with these toxics; stopped after the test. */
export async function proxyTo(
  upstreamPort: number,
  more: Partial<ProxyInput> = {},
): Promise<{ proxy: ToxicProxy; port: number; proxies: ProxyCollection }> {
  const proxies = new ProxyCollection();
  collections.add(proxies);
  const proxy = await proxies.create({ name: 'p', upstream: `127.0.0.1:${upstreamPort}`, ...more });
  return { proxy, port: proxy.address!.port, proxies };
}
