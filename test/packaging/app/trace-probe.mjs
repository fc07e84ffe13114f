// The app's own probe, as a user would write one: it passes while the fault's trace is there (a
// faultline_* fill file in a directory, a faultline_* nft table in a namespace), so a Pass says
// the fault was in effect, not only that nothing failed.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { definePack, defineProbe } from '@faultline/core';
import * as v from 'valibot';

// Every step also runs its fault's default health check, from @faultline/faults-linux alone (a pack
// carries the probes of its own health checks).
export const HEALTH_CHECK = true;

const trace = defineProbe({
  kind: 'app/fault-trace',
  summary: 'a faultline_* object is there: a file in `dir`, or an nft table in `namespace`',
  tunables: v.object({ dir: v.optional(v.string()), namespace: v.optional(v.string()) }),
  async run({ tunables: t }) {
    const names = t.dir
      ? readdirSync(t.dir)
      : execFileSync('ip', ['netns', 'exec', t.namespace ?? '', 'nft', 'list', 'tables'], {
          encoding: 'utf8',
        }).split(/\s+/);
    return { passed: names.some((n) => n.startsWith('faultline_')), value: names.join(' ') };
  },
});

/** The app's probe pack. */
export const appPack = definePack({ name: 'packaging-app', probes: [trace] });

/** Step options: the trace probe while the fault is in effect. */
export const watched = (tunables, duration) => ({
  duration,
  healthCheck: HEALTH_CHECK,
  probes: [
    {
      name: 'trace',
      kind: 'app/fault-trace',
      tunables,
      mode: 'OnChaos',
      runProperties: { pollingInterval: '150ms' },
    },
  ],
});

/** Where node resolved a package from: the app's node_modules/<pkg>/dist, with plain node. */
export const resolved = (...names) => Object.fromEntries(names.map((n) => [n, import.meta.resolve(n)]));
