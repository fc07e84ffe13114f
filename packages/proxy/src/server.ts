import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { joinHostPort } from './address.js';
import { controlApi } from './api.js';
import { apiErrorBody } from './api-error.js';
import { ProxyCollection } from './collection.js';

/** Options of {@link startProxyServer}: `toxiproxy-server`'s flags. */
export interface ProxyServerOptions {
  /** The API's host (default 127.0.0.1: the API can add faults, so it stays on loopback unless told). */
  host?: string;
  /** The API's port (default 8474, Toxiproxy's; 0 picks one). */
  port?: number;
  /** A JSON file of proxies to create at start, Toxiproxy's format (a list of `{ name, listen, upstream }`). */
  config?: string;
}

/** A running proxy server: the control API and its proxies. */
export interface ProxyServer {
  /** `http://host:port` of the control API (the port it got, when asked for 0). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** The proxies, for in-process use (the API drives the same collection). */
  readonly proxies: ProxyCollection;
  /** Stops the API and every proxy; their connections are dropped. */
  close(): Promise<void>;
}

/**
 * Starts the proxy server in this process — what the `faultline-proxy` bin runs: the Toxiproxy-compatible
 * control API on `host:port`, with the proxies of `config` created first. A proxy of the config that
 * cannot start is an error here (Toxiproxy only logs it): a test suite wants to know.
 */
export async function startProxyServer(opts: ProxyServerOptions = {}): Promise<ProxyServer> {
  const proxies = new ProxyCollection();
  if (opts.config) {
    const { error } = await proxies.populate(JSON.parse(await readFile(opts.config, 'utf8')));
    if (error !== undefined) {
      await proxies.clear();
      throw error instanceof Error ? error : new Error(apiErrorBody(error).error);
    }
  }
  const app = controlApi(proxies);
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  const host = opts.host ?? '127.0.0.1';
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port: opts.port ?? 8474, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    await proxies.clear();
    throw e;
  }
  const a = server.address();
  const port = typeof a === 'object' && a ? a.port : (opts.port ?? 8474);
  return {
    url: `http://${joinHostPort(host, port)}`,
    host,
    port,
    proxies,
    async close() {
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await proxies.clear();
      await closed;
    },
  };
}
