import * as v from 'valibot';
import { Stage } from '../stage.js';
import { defineToxicType, percent } from '../toxic-type.js';

const attributes = v.object({
  /** Share of datagrams dropped, %. */
  percent: percent(0),
});

class LossStage extends Stage {
  constructor(
    link: ConstructorParameters<typeof Stage>[0],
    private readonly attrs: () => v.InferOutput<typeof attributes>,
  ) {
    super(link);
  }
  protected onData(datagram: Buffer): void {
    if (Math.random() * 100 < this.attrs().percent) this.link.release(datagram.length);
    else this.next.write(datagram);
  }
}

/** `loss` (UDP proxies): drops `percent` % of the datagrams, each drawn on its own. */
export const lossToxic = defineToxicType({
  type: 'loss',
  protocols: ['udp'],
  attributes,
  stage: (link, attrs) => new LossStage(link, attrs),
});
