import { describe, expect, it } from 'vitest';
import { experiment } from '../builder.js';
import type { JsonObject } from '../json.js';
import type { FaultDefinition, Pack } from '../model.js';
import { type PlannedProbe, planExperiment } from '../plan.js';
import { Registry } from '../registry.js';

/** What a pack's test gives {@link packContract}. */
export interface PackContractOptions {
  /**
   * Tunables as a spec holds them, by fault kind, for every fault of the pack that has a
   * `healthCheck`: one set, or several where the health check depends on them (a process name, a
   * pid, a destination, none).
   */
  samples: Readonly<Record<string, JsonObject | readonly JsonObject[]>>;
}

/**
 * Plans one step of `fault` with these tunables and its default health check in a registry that
 * holds `pack` alone, and returns that health-check probe. Throws what planning throws — for a probe
 * kind the pack does not provide, `FL_UNKNOWN_KIND` naming the fault and the pack.
 */
export function planHealthCheck(
  pack: Pack,
  fault: FaultDefinition<any, any>,
  tunables: JsonObject,
): PlannedProbe {
  const spec = experiment(`packContract ${pack.name}`)
    .fault({ kind: fault.kind, tunables }, { id: 'sample', healthCheck: true })
    .build();
  const planned = planExperiment(spec, new Registry().register(pack)).steps[0]!.faults[0]!;
  const health = planned.probes.find((p) => p.healthCheck);
  if (!health) throw new Error(`${fault.kind} planned without its health check`);
  return health;
}

/**
 * The contract every pack passes: a pack runs on its own. For every fault with a `healthCheck`, the
 * health check built from each sample's tunables plans in a registry holding this pack alone — its
 * probe kind is one the pack provides, its tunables valid for that probe.
 */
export function packContract(pack: Pack, opts: PackContractOptions): void {
  describe(`packContract: ${pack.name}`, () => {
    const checked = (pack.faults ?? []).filter((f) => f.healthCheck);

    it('samples name fault kinds of this pack that have a health check', () => {
      const kinds = checked.map((f) => f.kind);
      expect(Object.keys(opts.samples).filter((k) => !kinds.includes(k))).toEqual([]);
    });

    for (const fault of checked) {
      it(`${fault.kind}: its health check uses a probe kind the pack provides`, () => {
        const samples = opts.samples[fault.kind];
        expect(samples, `give packContract samples of ${fault.kind}'s tunables`).toBeDefined();
        for (const tunables of [samples!].flat()) {
          const health = planHealthCheck(pack, fault, tunables);
          expect(pack.probes ?? []).toContain(health.def);
        }
      });
    }
  });
}
