import * as v from 'valibot';
import { Stage } from '../stage.js';
import { defineToxicType, int } from '../toxic-type.js';

const attributes = v.object({
  /** Bytes let through before the connection is closed. */
  bytes: int(0),
});

/** Passes `bytes` bytes, then closes the connection. The count survives an update of the toxic. */
class LimitDataStage extends Stage<v.InferOutput<typeof attributes>> {
  #sent = 0;
  override start(): void {
    if (this.active && this.#sent >= this.attrs().bytes) this.link.close();
  }
  protected onData(chunk: Buffer): void {
    const left = Math.max(0, this.attrs().bytes - this.#sent);
    if (chunk.length > left) this.link.release(chunk.length - left);
    if (left > 0) {
      const part = chunk.length > left ? chunk.subarray(0, left) : chunk;
      this.#sent += part.length;
      this.next.write(part);
    }
    if (this.#sent >= this.attrs().bytes) this.link.close();
  }
}

/** `limit_data`: closes the connection once `bytes` bytes went through. */
export const limitDataToxic = defineToxicType({
  type: 'limit_data',
  protocols: ['tcp', 'http'],
  attributes,
  stage: (link, attrs) => new LimitDataStage(link, attrs),
});
