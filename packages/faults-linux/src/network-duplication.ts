import { percentSchema } from '@faultline/core';
import type { EntriesOutput } from './entries.js';
import { netemFault, pct } from './net/netem.js';

const entries = {
  /** Share of packets duplicated, 0-100. */
  percent: percentSchema(),
};

/** The tc argv of `linux/network-duplication` (pure: unit-tested without netem). */
export const duplicationNetem = (t: EntriesOutput<typeof entries>) => ['duplicate', pct(t.percent)];

/** `linux/network-duplication`: sends a share of packets twice (tc netem duplicate). Needs sch_netem. */
export const networkDuplication = netemFault({
  kind: 'linux/network-duplication',
  summary: 'Duplicate a share of packets (tc netem; needs sch_netem)',
  entries,
  netem: duplicationNetem,
});
