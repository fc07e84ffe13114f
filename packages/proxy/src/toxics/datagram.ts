import * as v from 'valibot';
import { type LinkContext, Stage, type Target } from '../stage.js';
import { defineToxicType, percent } from '../toxic-type.js';

const attributes = v.object({
  /** Share of datagrams it acts on, %. */
  percent: percent(0),
});
type Attrs = v.InferOutput<typeof attributes>;

/** Acts on each datagram with probability `percent`, each drawn on its own. */
class ChanceStage extends Stage<Attrs> {
  constructor(
    link: LinkContext,
    attrs: () => Attrs,
    private readonly hit: (datagram: Buffer, next: Target, link: LinkContext) => void,
  ) {
    super(link, attrs);
  }
  protected onData(datagram: Buffer): void {
    if (Math.random() * 100 < this.attrs().percent) this.hit(datagram, this.next, this.link);
    else this.next.write(datagram);
  }
}

/** `loss` (UDP proxies): drops `percent` % of the datagrams. */
export const lossToxic = defineToxicType({
  type: 'loss',
  protocols: ['udp'],
  attributes,
  stage: (link, attrs) => new ChanceStage(link, attrs, (d, _next, link) => link.release(d.length)),
});

/** `duplicate` (UDP proxies): sends `percent` % of the datagrams twice. */
export const duplicateToxic = defineToxicType({
  type: 'duplicate',
  protocols: ['udp'],
  attributes,
  stage: (link, attrs) =>
    new ChanceStage(link, attrs, (d, next) => {
      next.write(d);
      next.write(d);
    }),
});
