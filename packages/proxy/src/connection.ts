import { connect, type Socket } from 'node:net';
import type { HostPort } from './address.js';
import { ChainPair } from './chain.js';
import { Link } from './link.js';
import type { LinkContext } from './stage.js';
import type { ToxicEntry } from './toxic-set.js';

/**
 * One client connection and its upstream: two links (client → upstream is Toxiproxy's `upstream`
 * stream, upstream → client is `downstream`). Half-closes pass through; an RST on one side becomes an
 * RST on the other, so a client sees what the server did.
 */
export class Connection {
  readonly up: Link;
  readonly down: Link;
  /** The toxics on both links. */
  readonly chains: ChainPair;
  readonly #upstream: Socket;
  #gone = false;

  constructor(
    private readonly client: Socket,
    target: HostPort,
    toxics: readonly ToxicEntry[],
    private readonly onGone: (c: Connection) => void,
  ) {
    const upstream = connect({ host: target.host, port: target.port, allowHalfOpen: true, noDelay: true });
    this.#upstream = upstream;
    client.setNoDelay(true);
    this.up = new Link(client, upstream);
    this.down = new Link(upstream, client);
    const ctxOf = (link: Link): LinkContext => ({
      release: (n) => link.release(n),
      close: () => this.close(),
      reset: () => this.reset(),
    });
    const [ctxUp, ctxDown] = [ctxOf(this.up), ctxOf(this.down)];
    this.chains = new ChainPair(this.up.chain, this.down.chain, (s) => (s === 'upstream' ? ctxUp : ctxDown));
    for (const t of toxics) this.chains.place(t);

    upstream.once('connect', () => {
      this.up.start();
      this.down.start();
    });
    // a failed dial closes the client, as Toxiproxy does
    upstream.on('error', (e: NodeJS.ErrnoException) => this.#lost(client, e));
    client.on('error', (e: NodeJS.ErrnoException) => this.#lost(upstream, e));
    upstream.on('close', () => this.#closed(client));
    client.on('close', () => this.#closed(upstream));
  }

  #lost(other: Socket, e: NodeJS.ErrnoException): void {
    if (e.code === 'ECONNRESET' && !other.destroyed && other.readyState !== 'opening')
      other.resetAndDestroy();
    else other.destroy();
  }

  #closed(other: Socket): void {
    if (!other.destroyed) other.destroy();
    this.#finish();
  }

  #finish(): void {
    if (this.#gone) return;
    this.#gone = true;
    this.up.destroy();
    this.down.destroy();
    this.onGone(this);
  }

  /** Closes both sockets after what was written is flushed (FIN). */
  close(): void {
    for (const s of [this.client, this.#upstream]) if (!s.destroyed) s.destroySoon();
  }

  /** Resets both sockets (RST). */
  reset(): void {
    for (const s of [this.client, this.#upstream]) {
      if (s.destroyed) continue;
      if (s.readyState === 'opening') s.destroy();
      else s.resetAndDestroy();
    }
  }

  /** Drops the connection at once (the proxy is going down). */
  destroy(): void {
    this.client.destroy();
    this.#upstream.destroy();
  }
}
