import { type JsonObject, type ProbeDefinition, type ProbeSpec, parseTunables } from '@faultline/core';

/**
 * An Edge-mode spec of one of this pack's health probes, its tunables validated where it is written
 * (`FL_TUNABLES`). A spec is plain JSON: spread it to change the mode or the run properties,
 * `{ ...processAlive({ name: 'nginx' }), mode: 'Continuous' }`.
 */
export function healthProbeSpec(def: ProbeDefinition<any>, name: string, tunables: object): ProbeSpec {
  parseTunables(def, tunables);
  // a spec is JSON: an optional tunable given as undefined is left out, as JSON.stringify would
  const json = Object.fromEntries(Object.entries(tunables).filter(([, x]) => x !== undefined));
  return { name, kind: def.kind, mode: 'Edge', tunables: json as JsonObject };
}
