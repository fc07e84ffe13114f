import { durationSchema } from '@faultline/core';
import type { EntriesOutput } from './entries.js';
import { ms, netemFault } from './net/netem.js';

const entries = {
  /** Added delay, e.g. `'200ms'`. */
  latency: durationSchema(),
};

/** The tc argv of `linux/network-latency` (pure: unit-tested without netem). */
export const latencyNetem = (t: EntriesOutput<typeof entries>) => ['delay', ms(t.latency)];

/** `linux/network-latency`: delays every matching packet (tc netem delay). Needs sch_netem. */
export const networkLatency = netemFault({
  kind: 'linux/network-latency',
  summary: 'Delay the packets to chosen destinations (tc netem; needs sch_netem)',
  entries,
  netem: latencyNetem,
});
