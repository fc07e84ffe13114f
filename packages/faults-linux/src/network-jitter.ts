import { durationSchema } from '@faultline/core';
import * as v from 'valibot';
import type { EntriesOutput } from './entries.js';
import { ms, netemFault } from './net/netem.js';

const entries = {
  /** Mean added delay. */
  latency: v.optional(durationSchema(), '0ms'),
  /** Spread around it. */
  jitter: durationSchema(),
  /** How much each delay follows the previous one, 0-100. */
  correlation: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(100)), 0),
};

/** The tc argv of `linux/network-jitter` (pure: unit-tested without netem). */
export const jitterNetem = (t: EntriesOutput<typeof entries>) => [
  'delay',
  ms(t.latency),
  ms(t.jitter),
  `${t.correlation}%`,
  'distribution',
  'normal',
];

/** `linux/network-jitter`: a delay that varies (tc netem delay X Y, normal distribution). Needs sch_netem. */
export const networkJitter = netemFault({
  kind: 'linux/network-jitter',
  summary: 'Delay packets by a varying amount (tc netem; needs sch_netem)',
  entries,
  netem: jitterNetem,
});
