import { connect, type Socket } from 'node:net';
import type { HostPort } from './address.js';
import { Link } from './link.js';
import type { LinkContext } from './stage.js';
import { draw, type ToxicEntry } from './toxic-set.js';

/**
 * One client connection and its upstream: two links (client → upstream is Toxiproxy's `upstream`
 * stream, upstream → client is `downstream`). Half-closes pass through; an RST on one side becomes an
 * RST on the other, so a client sees what the server did.
 */
export class Connection {
  readonly up: Link;
  readonly down: Link;
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
    const ctx: LinkContext = {
      release: (n) => link.release(n),
      close: () => this.close(),
      reset: () => this.reset(),
    };
    const ctxDown: LinkContext = {
      release: (n) => this.down.release(n),
      close: ctx.close,
      reset: ctx.reset,
    };
    const link = new Link(client, upstream, ctx);
    this.up = link;
    this.down = new Link(upstream, client, ctxDown);
    for (const t of toxics) this.place(t);

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

  /** Puts a toxic on the link of its stream, drawn against its toxicity. */
  place(t: ToxicEntry): void {
    const link = t.live.stream === 'upstream' ? this.up : this.down;
    const stage = t.type.stage?.(link.ctx, () => t.live.attributes, t.live);
    if (stage) link.chain.add(t.live.name, stage, draw(t.live.toxicity));
  }

  /** The toxic changed: draw again. */
  redraw(t: ToxicEntry): void {
    (t.live.stream === 'upstream' ? this.up : this.down).chain.redraw(t.live.name, draw(t.live.toxicity));
  }

  unplace(t: ToxicEntry): void {
    (t.live.stream === 'upstream' ? this.up : this.down).chain.remove(t.live.name);
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
