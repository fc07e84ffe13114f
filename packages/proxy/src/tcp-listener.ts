import { createServer, type Server } from 'node:net';
import type { HostPort } from './address.js';
import { Connection } from './connection.js';
import type { ToxicEntry, ToxicObserver, ToxicSet } from './toxic-set.js';

/** Listens, then proxies each connection to a target through the proxy's stream toxics. */
export class TcpListener implements ToxicObserver {
  readonly #server: Server;
  readonly #conns = new Set<Connection>();

  private constructor(
    server: Server,
    readonly address: HostPort,
  ) {
    this.#server = server;
  }

  /** Binds `listen` (port 0 = any) and starts accepting. Rejects with the bind error. */
  static async open(listen: HostPort, target: () => HostPort, toxics: ToxicSet): Promise<TcpListener> {
    // pauseOnConnect: no byte is read before the upstream is dialled and the links are in place
    const server = createServer({ pauseOnConnect: true, allowHalfOpen: true, noDelay: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: listen.host, port: listen.port, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const a = server.address();
    const bound = typeof a === 'object' && a ? { host: a.address, port: a.port } : listen;
    const l = new TcpListener(server, bound);
    server.on('connection', (client) => {
      let to: HostPort;
      try {
        to = target();
      } catch {
        client.destroy(); // an upstream that is not host:port: Toxiproxy closes the client too
        return;
      }
      const c = new Connection(client, to, toxics.list(), (gone) => l.#conns.delete(gone));
      l.#conns.add(c);
    });
    toxics.observer = l;
    return l;
  }

  /** Open connections (for tests and the API's view). */
  get connections(): number {
    return this.#conns.size;
  }

  added(t: ToxicEntry): void {
    for (const c of this.#conns) c.chains.place(t);
  }
  updated(t: ToxicEntry): void {
    for (const c of this.#conns) c.chains.redraw(t);
  }
  removed(t: ToxicEntry): void {
    for (const c of this.#conns) c.chains.unplace(t);
  }

  /** Stops listening and drops every connection (Toxiproxy's disable). */
  async close(): Promise<void> {
    const closed = new Promise<void>((r) => this.#server.close(() => r()));
    for (const c of this.#conns) c.destroy();
    this.#conns.clear();
    await closed;
  }
}
