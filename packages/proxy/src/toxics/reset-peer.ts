import * as v from 'valibot';
import { Stage } from '../stage.js';
import { defineToxicType, int } from '../toxic-type.js';

const attributes = v.object({
  /** Wait this many ms after the first data (or the end) before the reset. */
  timeout: int(0),
});

/**
 * Toxiproxy's reset_peer: the first data (or the end of the stream) arms it, that data is dropped,
 * and after `timeout` ms both sockets are closed with SO_LINGER 0 — a real RST, so the client sees
 * ECONNRESET. Only a link where the toxicity draw chose it does that (Toxiproxy issue #603).
 */
class ResetStage extends Stage<v.InferOutput<typeof attributes>> {
  #timer: NodeJS.Timeout | undefined;
  #arm(): void {
    if (this.#timer !== undefined) return;
    const ms = Math.max(0, this.attrs().timeout);
    this.#timer = setTimeout(() => this.link.reset(), ms);
  }
  protected onData(chunk: Buffer): void {
    this.link.release(chunk.length);
    this.#arm();
  }
  protected override onEnd(): void {
    this.#arm();
  }
  override flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    super.flush();
  }
  override destroy(): void {
    clearTimeout(this.#timer);
  }
}

/** `reset_peer`: resets the connection (TCP RST) on its first data, after `timeout` ms. */
export const resetPeerToxic = defineToxicType({
  type: 'reset_peer',
  protocols: ['tcp', 'http'],
  attributes,
  stage: (link, attrs) => new ResetStage(link, attrs),
});
