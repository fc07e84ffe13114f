import * as v from 'valibot';
import { type LinkContext, QueueStage } from '../stage.js';
import { defineToxicType, int } from '../toxic-type.js';

const attributes = v.object({
  /** KB/s (1 KB = 1000 bytes, as Toxiproxy counts); 0 or less = no limit. */
  rate: int(0),
  /**
   * `connection` (Toxiproxy's): each connection gets `rate`. `proxy`: every connection of the proxy in
   * this direction shares `rate`, first come first served (Toxiproxy issues #190, #613).
   */
  scope: v.optional(v.picklist(['connection', 'proxy']), 'connection'),
});
type Attrs = v.InferOutput<typeof attributes>;

/** When the wire is next free, in performance.now() ms: per link, or shared by the proxy's links. */
interface WireClock {
  free: number;
}

/** A chunk leaves when its last byte would have crossed a wire of `rate`; big chunks go in 100 ms slices. */
class BandwidthStage extends QueueStage<Attrs> {
  readonly #own: WireClock = { free: 0 };
  constructor(
    link: LinkContext,
    attrs: () => Attrs,
    private readonly shared: WireClock,
  ) {
    super(link, attrs);
  }
  protected onData(chunk: Buffer): void {
    const { rate, scope } = this.attrs();
    if (rate <= 0) {
      this.enqueue(chunk, 0);
      return;
    }
    const clock = scope === 'proxy' ? this.shared : this.#own;
    const bytesPerMs = rate; // KB/s = bytes/ms
    const slice = rate * 100; // what crosses in 100 ms, as Toxiproxy slices
    const now = performance.now();
    if (clock.free < now) clock.free = now;
    for (let off = 0; off < chunk.length; off += slice) {
      const part = chunk.subarray(off, Math.min(chunk.length, off + slice));
      clock.free += part.length / bytesPerMs;
      this.enqueue(part, clock.free);
    }
  }
}

/** `bandwidth`: limits throughput to `rate` KB/s per connection, or per proxy. */
export const bandwidthToxic = defineToxicType({
  type: 'bandwidth',
  protocols: ['tcp', 'http'],
  attributes,
  stage: (link, attrs, toxic) => {
    const shared = toxic.shared as { clock?: WireClock };
    shared.clock ??= { free: 0 };
    return new BandwidthStage(link, attrs, shared.clock);
  },
});
