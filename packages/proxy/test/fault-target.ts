// The target of a proxy fault in a test: a proxy server in this process, an upstream, one proxy.
import { type Protocol, type ProxyServer, startProxyServer } from '../src/index.js';
import { echoServer, httpServer, type Running, udpEcho } from './servers.js';

/** A server with one proxy `p` of this protocol in front of a real upstream. */
export interface FaultTarget {
  server: ProxyServer;
  upstream: Running;
  /** The proxy's bound port. */
  port: number;
  tunables: { control: string; proxy: string };
  cleanup(): Promise<void>;
}

export async function faultTarget(protocol: Protocol = 'tcp'): Promise<FaultTarget> {
  const upstream =
    protocol === 'http' ? await httpServer() : protocol === 'udp' ? await udpEcho() : await echoServer();
  const server = await startProxyServer({ port: 0 });
  const p = await server.proxies.create({ name: 'p', upstream: `127.0.0.1:${upstream.port}`, protocol });
  return {
    server,
    upstream,
    port: p.address!.port,
    tunables: { control: server.url, proxy: 'p' },
    async cleanup() {
      await server.close();
      await upstream.close();
    },
  };
}
