import * as v from 'valibot';
import { Stage } from '../stage.js';
import { defineToxicType, percent } from '../toxic-type.js';

const attributes = v.object({
  /** Share of datagrams sent twice, %. */
  percent: percent(0),
});

class DuplicateStage extends Stage {
  constructor(
    link: ConstructorParameters<typeof Stage>[0],
    private readonly attrs: () => v.InferOutput<typeof attributes>,
  ) {
    super(link);
  }
  protected onData(datagram: Buffer): void {
    this.next.write(datagram);
    if (Math.random() * 100 < this.attrs().percent) this.next.write(datagram);
  }
}

/** `duplicate` (UDP proxies): sends `percent` % of the datagrams twice. */
export const duplicateToxic = defineToxicType({
  type: 'duplicate',
  protocols: ['udp'],
  attributes,
  stage: (link, attrs) => new DuplicateStage(link, attrs),
});
