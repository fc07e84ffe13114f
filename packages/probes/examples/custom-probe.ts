// Your own probe kind in three steps: defineProbe (schema + run), definePack (a name a fresh
// process can import), register. Run: npx tsx --conditions=@faultline/source packages/probes/examples/custom-probe.ts
import { statfs } from 'node:fs/promises';
import {
  type Comparator,
  comparatorSchema,
  compare,
  definePack,
  defineProbe,
  parseTunables,
  Registry,
  silentLogger,
} from '@faultline/core';
import probes from '@faultline/probes';
import * as v from 'valibot';

/** `acme/disk-free`: the share of free space on a file system, compared with a number comparator. */
export const diskFree = defineProbe({
  kind: 'acme/disk-free',
  summary: 'Free space of the file system holding `path`, in percent, compared with `free`.',
  tunables: v.object({
    path: v.optional(v.string(), '/'),
    free: v.optional(comparatorSchema, { type: 'float', criteria: '>=', value: 10 } satisfies Comparator),
  }),
  async run({ tunables, signal }) {
    // statfs is quick, but a probe honours its signal all the same: a hung NFS mount must not hang the run
    const s = await Promise.race([
      statfs(tunables.path),
      new Promise<never>((_, reject) =>
        signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
      ),
    ]);
    const percent = Math.round((s.bavail / s.blocks) * 10_000) / 100;
    const { passed, message } = compare(percent, tunables.free);
    return { passed, value: percent, message: `${tunables.path}: ${percent}% free; ${message}` };
  },
});

/** The pack: its name is the module specifier a recovering process would `import()`. */
export const acmePack = definePack({ name: 'acme-probes', probes: [diskFree] });

/** Registers both packs and runs the probe the way the runner does (validated tunables, a timeout signal). */
export async function main(tunables: v.InferInput<typeof diskFree.tunables> = {}) {
  const registry = new Registry().register(probes).register(acmePack);
  const { def } = registry.probe('acme/disk-free');
  const outcome = await def.run({
    tunables: parseTunables(def, tunables),
    signal: AbortSignal.timeout(2000),
    timeoutMs: 2000,
    log: silentLogger,
    runId: 'example',
    stepId: 'disk',
  });
  return { kinds: registry.probeKinds(), outcome };
}

// In an experiment, the probe is plain JSON like any other:
//   .fault(linux.cpuStress({ load: 80 }), { probes: [{ name: 'disk', kind: 'acme/disk-free', mode: 'Continuous',
//     tunables: { path: '/var', free: { type: 'float', criteria: '>=', value: 15 } }, runProperties: { pollingInterval: '5s' } }] })
// with `createRuntime({ packs: [probes, acmePack] })` or `runtime.register(acmePack)`.

if (import.meta.url === `file://${process.argv[1]}`) {
  const { kinds, outcome } = await main();
  console.log(kinds.join(', '));
  console.log(outcome);
}
