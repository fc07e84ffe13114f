import * as v from 'valibot';
import { QueueStage } from '../stage.js';
import { defineToxicType, int } from '../toxic-type.js';

const attributes = v.object({
  /** Average size of a slice, bytes. */
  average_size: int(0),
  /** ± bytes around it (keep it below average_size). */
  size_variation: int(0),
  /** µs between slices. The event loop's timers count whole ms: below 1000 µs a slice waits one turn. */
  delay: int(0),
});
type Attrs = v.InferOutput<typeof attributes>;

/** Toxiproxy's split: halve around the middle (± variation) until each piece is near the average. */
export function sliceOffsets(a: Attrs, start: number, end: number, random = Math.random): number[] {
  if (end - start - a.average_size <= a.size_variation || a.average_size <= 0) return [start, end];
  let mid = start + Math.floor((end - start) / 2);
  if (a.size_variation > 0) mid += Math.floor(random() * a.size_variation * 2) - a.size_variation;
  mid = Math.min(end - 1, Math.max(start + 1, mid));
  return [...sliceOffsets(a, start, mid, random), ...sliceOffsets(a, mid, end, random)];
}

/** Cuts each chunk into slices written one by one, `delay` µs apart. */
class SlicerStage extends QueueStage<Attrs> {
  #last = 0;
  protected onData(chunk: Buffer): void {
    const a = this.attrs();
    const offsets = sliceOffsets(a, 0, chunk.length);
    const gap = Math.max(0, a.delay) / 1000;
    let at = Math.max(performance.now(), this.#last);
    for (let i = 1; i < offsets.length; i += 2) {
      this.enqueue(chunk.subarray(offsets[i - 1], offsets[i]), at);
      at += gap;
    }
    this.#last = at;
  }
}

/** `slicer`: slices the stream into small writes, optionally `delay` µs apart. */
export const slicerToxic = defineToxicType({
  type: 'slicer',
  protocols: ['tcp', 'http'],
  attributes,
  stage: (link, attrs) => new SlicerStage(link, attrs),
});
