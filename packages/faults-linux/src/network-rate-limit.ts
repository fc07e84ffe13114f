import { durationSchema, parseDuration, parseSize, sizeSchema } from '@faultline/core';
import * as v from 'valibot';
import { tcCapability } from './net/capability.js';
import type { ShapeSpec } from './net/tc.js';
import { shapeTargetEntries, tcFault } from './net/tc-fault.js';
import { portsNeedTransport } from './net/tunables.js';

const RATE = /^(\d+(?:\.\d+)?)(bit|kbit|mbit|gbit|bps|kbps|mbps|gbps)$/i;
const BITS: Record<string, number> = {
  bit: 1,
  kbit: 1e3,
  mbit: 1e6,
  gbit: 1e9,
  bps: 8,
  kbps: 8e3,
  mbps: 8e6,
  gbps: 8e9,
};

/** A tc rate (`'1mbit'`, `'512kbit'`, `'10mbps'` = bytes/s) in bits per second; undefined when malformed. */
export function parseRate(s: string): number | undefined {
  const m = s.match(RATE);
  const bps = m ? Number(m[1]) * BITS[m[2]!.toLowerCase()]! : undefined;
  return bps !== undefined && bps >= 8 && bps <= 1e12 ? bps : undefined;
}

const rateSchema = v.pipe(
  v.string(),
  v.check(
    (s) => parseRate(s) !== undefined,
    (i) => `'${String(i.input)}' is not a rate like '1mbit', '512kbit', '10mbps'`,
  ),
);

/** Tunables of `linux/network-rate-limit` (Harness names: `networkBandwidth` is `rate` here). */
export const networkRateLimitTunables = v.pipe(
  v.strictObject({
    ...shapeTargetEntries,
    /** The cap, in tc units: `'1mbit'`, `'512kbit'`, `'10mbps'` (bytes/s). */
    rate: rateSchema,
    /** Bucket size: what may go at once at full speed; default 10 ms worth of the rate, at least 4 KiB. */
    burst: v.optional(sizeSchema()),
    /** Longest a packet may wait for tokens before it is dropped (ignored when `limit` is given). */
    latency: v.optional(durationSchema(), '400ms'),
    /** Bytes that may queue waiting for tokens; beyond, packets are dropped. Takes the place of `latency`. */
    limit: v.optional(sizeSchema()),
    /** A second, faster bucket that caps how fast the burst itself drains (must exceed `rate`). */
    peakRate: v.optional(rateSchema),
    /** The peak bucket's size (tbf `minburst`): at least the interface MTU + 14; default 2 KiB. */
    minBurst: v.optional(sizeSchema()),
  }),
  portsNeedTransport(),
  v.check(
    (t) => t.peakRate === undefined || parseRate(t.peakRate)! > parseRate(t.rate)!,
    'peakRate must be faster than rate',
  ),
);

/** The shaping qdisc (pure: unit-tested): tbf at the rate under the fault's class. */
export function rateLimitShape(
  t: Pick<
    v.InferOutput<typeof networkRateLimitTunables>,
    'rate' | 'burst' | 'latency' | 'limit' | 'peakRate' | 'minBurst'
  >,
): ShapeSpec {
  const bps = parseRate(t.rate)!;
  const burst = String(t.burst === undefined ? Math.max(4096, Math.ceil(bps / 8 / 100)) : parseSize(t.burst));
  const queue =
    t.limit === undefined
      ? ['latency', `${parseDuration(t.latency)}ms`]
      : ['limit', String(parseSize(t.limit))];
  const peak =
    t.peakRate === undefined
      ? []
      : [
          'peakrate',
          `${Math.round(parseRate(t.peakRate)!)}bit`,
          'minburst',
          String(parseSize(t.minBurst ?? '2KiB')),
        ];
  return { leaf: ['tbf', 'rate', `${Math.round(bps)}bit`, 'burst', burst, ...queue, ...peak] };
}

/**
 * `linux/network-rate-limit`: caps throughput with a tbf under the fault's htb class; u32 filters
 * send the targeted packets (destinations, ports, protocol) through it, the rest — SSH always, with
 * `whitelistSsh` — goes out untouched. Ingress: the interface's arrivals are redirected to an ifb
 * device shaped the same way.
 */
export const networkRateLimit = tcFault({
  kind: 'linux/network-rate-limit',
  summary:
    'Cap the bandwidth of chosen traffic (destinations, ports, protocol) on interfaces (tc htb+tbf, u32, ifb for ingress)',
  tunables: networkRateLimitTunables,
  check: () => tcCapability(),
  shape: rateLimitShape,
});
