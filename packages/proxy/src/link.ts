import type { Socket } from 'node:net';
import { Chain } from './chain.js';
import type { Target } from './stage.js';

/** Bytes a link may hold in its toxics before it stops reading its source (a latency toxic's window). */
export const LINK_HIGH_WATER = 1 << 20;
const LOW_WATER = LINK_HIGH_WATER / 2;

/**
 * One direction of a proxied TCP connection: source socket → toxic stages → destination socket.
 * With no toxic the source writes straight to the destination (one `write` per chunk, no copy);
 * backpressure holds either way: the source pauses while the destination needs a drain or while the
 * toxics hold more than {@link LINK_HIGH_WATER} bytes.
 */
export class Link implements Target {
  readonly chain = new Chain(this);
  #held = 0;
  #blocked = false;
  #ended = false;

  constructor(
    private readonly src: Socket,
    private readonly dst: Socket,
  ) {}

  /** Starts reading the source. */
  start(): void {
    this.src.on('data', this.#onData);
    this.src.on('end', this.#onEnd);
    this.dst.on('drain', this.#onDrain);
    this.src.resume();
  }

  readonly #onData = (chunk: Buffer): void => {
    this.#held += chunk.length;
    this.chain.head.write(chunk);
    if (this.#held > LINK_HIGH_WATER || this.#blocked) this.src.pause();
  };

  readonly #onEnd = (): void => this.chain.head.end();

  readonly #onDrain = (): void => {
    this.#blocked = false;
    this.#maybeResume();
  };

  #maybeResume(): void {
    if (!this.#blocked && this.#held < LOW_WATER && this.src.isPaused()) this.src.resume();
  }

  /** The sink: the last target of the chain. */
  write(chunk: Buffer): void {
    this.#held -= chunk.length;
    if (this.dst.destroyed) return;
    if (!this.dst.write(chunk)) this.#blocked = true;
    else if (this.#held < LOW_WATER) this.#maybeResume();
  }

  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    if (!this.dst.destroyed) this.dst.end();
  }

  /** Bytes a stage dropped. */
  release(bytes: number): void {
    this.#held -= bytes;
    this.#maybeResume();
  }

  /** The connection is gone. */
  destroy(): void {
    this.chain.destroy();
    this.src.off('data', this.#onData);
  }
}
