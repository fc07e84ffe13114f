import * as v from 'valibot';
import { DISTRIBUTIONS, drawDelay } from '../jitter.js';
import { QueueStage } from '../stage.js';
import { defineToxicType, int } from '../toxic-type.js';

const attributes = v.object({
  /** Added delay, ms. */
  latency: int(0),
  /** Spread around it, ms (its meaning depends on `distribution`). */
  jitter: int(0),
  /** How the spread is drawn: `uniform` (Toxiproxy's ±), `normal`, `pareto` (long tail). */
  distribution: v.optional(v.picklist(DISTRIBUTIONS), 'uniform'),
});
type Attrs = v.InferOutput<typeof attributes>;

/**
 * Delays each chunk by its own draw, measured from when the chunk arrived — so chunks in flight do not
 * pile their delays up — and never lets a chunk overtake the one before it (the stream's order is kept).
 */
class LatencyStage extends QueueStage<Attrs> {
  protected override precise = true;
  #last = 0;
  protected onData(chunk: Buffer): void {
    const a = this.attrs();
    const at = Math.max(performance.now() + drawDelay(a.latency, a.jitter, a.distribution), this.#last);
    this.#last = at;
    this.enqueue(chunk, at);
  }
}

/** `latency`: latency ± jitter on every chunk (TCP) or datagram (UDP). */
export const latencyToxic = defineToxicType({
  type: 'latency',
  protocols: ['tcp', 'udp', 'http'],
  attributes,
  stage: (link, attrs) => new LatencyStage(link, attrs),
});
