import * as v from 'valibot';
import { Stage } from '../stage.js';
import { defineToxicType } from '../toxic-type.js';

class NoopStage extends Stage {
  protected onData(chunk: Buffer): void {
    this.next.write(chunk);
  }
}

/** `noop`: does nothing (Toxiproxy has it; its API tests add one). */
export const noopToxic = defineToxicType({
  type: 'noop',
  protocols: ['tcp', 'udp', 'http'],
  attributes: v.object({}),
  stage: (link, attrs) => new NoopStage(link, attrs),
});
