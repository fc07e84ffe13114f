import { percentSchema } from '@faultline/core';
import type { EntriesOutput } from './entries.js';
import { netemFault, pct } from './net/netem.js';

const entries = {
  /** Share of packets corrupted, 0-100. */
  percent: percentSchema(),
};

/** The tc argv of `linux/network-corruption` (pure: unit-tested without netem). */
export const corruptionNetem = (t: EntriesOutput<typeof entries>) => ['corrupt', pct(t.percent)];

/** `linux/network-corruption`: flips a bit in a share of packets (tc netem corrupt). Needs sch_netem. */
export const networkCorruption = netemFault({
  kind: 'linux/network-corruption',
  summary: 'Corrupt a share of packets (tc netem; needs sch_netem)',
  entries,
  netem: corruptionNetem,
});
