import { durationSchema } from '@faultline/core';
import * as v from 'valibot';
import type { EntriesOutput } from './entries.js';
import { ms, netemFault } from './net/netem.js';

const entries = {
  /** Added delay, e.g. `'200ms'`. */
  latency: durationSchema(),
  /** The most a packet's delay may differ from `latency`, either way (uniform), e.g. `'20ms'`. Default none. */
  jitter: v.optional(durationSchema(), '0ms'),
  /** How much each packet's random part follows the previous one's, 0-100 (netem's delay correlation). */
  correlation: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(100)), 0),
};

/** The tc argv of `linux/network-latency` (pure: unit-tested without netem). */
export const latencyNetem = (t: EntriesOutput<typeof entries>) =>
  ms(t.jitter) === '0ms'
    ? ['delay', ms(t.latency)]
    : ['delay', ms(t.latency), ms(t.jitter), ...(t.correlation > 0 ? [`${t.correlation}%`] : [])];

/**
 * `linux/network-latency`: delays every targeted packet (tc netem delay), by `latency` ± `jitter`
 * drawn uniformly (as Harness defines jitter: the largest deviation). Needs sch_netem.
 */
export const networkLatency = netemFault({
  kind: 'linux/network-latency',
  summary:
    'Delay the packets to chosen destinations and ports, with optional jitter (tc netem; needs sch_netem)',
  entries,
  netem: latencyNetem,
});
