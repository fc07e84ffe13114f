import * as v from 'valibot';
import { Stage } from '../stage.js';
import { defineToxicType, int } from '../toxic-type.js';

const attributes = v.object({
  /** Close the connection after this many ms; 0 = never (a black hole until the toxic is removed). */
  timeout: int(0),
});

/**
 * Drops every byte; closes the connection after `timeout` (0: never). Removing it closes the
 * connections it touched, as Toxiproxy does: their data is gone, the stream cannot go on.
 */
class TimeoutStage extends Stage<v.InferOutput<typeof attributes>> {
  #timer: NodeJS.Timeout | undefined;
  override start(): void {
    clearTimeout(this.#timer);
    const ms = this.attrs().timeout;
    if (this.active && ms > 0) this.#timer = setTimeout(() => this.link.close(), ms);
  }
  protected onData(chunk: Buffer): void {
    this.link.release(chunk.length);
  }
  protected override onEnd(): void {
    this.link.close();
  }
  override removed(): void {
    this.destroy();
    if (this.active) this.link.close();
    else super.removed();
  }
  override flush(): void {
    clearTimeout(this.#timer);
    super.flush();
  }
  override destroy(): void {
    clearTimeout(this.#timer);
  }
}

/** `timeout`: a black hole that closes the connection after `timeout` ms (0 = never). */
export const timeoutToxic = defineToxicType({
  type: 'timeout',
  protocols: ['tcp', 'http'],
  attributes,
  stage: (link, attrs) => new TimeoutStage(link, attrs),
});
