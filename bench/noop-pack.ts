// The pack the core-overhead bench runs: faults and a probe that do no work, so what is timed is
// faultline's own. Its own module, named by its URL, so the runtime's sentinel can import it.
import { defineFault, definePack, defineProbe } from '@faultline/core';
import * as v from 'valibot';

export const noop = defineFault({
  kind: 'bench/noop',
  summary: 'does nothing',
  tunables: v.object({}),
  inject: async () => ({}),
  revert: async () => {},
  manual: () => 'nothing to do',
});
export const instant = defineProbe({
  kind: 'bench/instant',
  summary: 'passes at once',
  tunables: v.object({}),
  run: async () => ({ passed: true }),
});
export const pack = definePack({ name: import.meta.url, faults: [noop], probes: [instant] });
export default pack;
