import * as v from 'valibot';
import { Stage } from '../stage.js';
import { defineToxicType, int } from '../toxic-type.js';

const attributes = v.object({
  /** How long the close waits, ms. */
  delay: int(0),
});

/** Data passes; the end of the stream (FIN) is held back for `delay`. */
class SlowCloseStage extends Stage<v.InferOutput<typeof attributes>> {
  #timer: NodeJS.Timeout | undefined;
  protected onData(chunk: Buffer): void {
    this.next.write(chunk);
  }
  protected override onEnd(): void {
    this.ending = true;
    this.#timer = setTimeout(() => this.flush(), Math.max(0, this.attrs().delay));
  }
  override flush(): void {
    clearTimeout(this.#timer);
    super.flush();
  }
  override destroy(): void {
    clearTimeout(this.#timer);
  }
}

/** `slow_close`: delays the close of the connection by `delay` ms. */
export const slowCloseToxic = defineToxicType({
  type: 'slow_close',
  protocols: ['tcp', 'http'],
  attributes,
  stage: (link, attrs) => new SlowCloseStage(link, attrs),
});
