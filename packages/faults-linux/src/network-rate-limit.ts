import { durationSchema, parseDuration, parseSize, sizeSchema } from '@faultline/core';
import * as v from 'valibot';
import { tcCapability } from './net/capability.js';
import type { ShapeSpec } from './net/tc.js';
import { shapeTargetEntries, tcFault } from './net/tc-fault.js';

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

/** Tunables of `linux/network-rate-limit`. */
export const networkRateLimitTunables = v.strictObject({
  ...shapeTargetEntries,
  /** The cap, in tc units: `'1mbit'`, `'512kbit'`, `'10mbps'` (bytes/s). */
  rate: v.pipe(
    v.string(),
    v.check(
      (s) => parseRate(s) !== undefined,
      (i) => `'${String(i.input)}' is not a rate like '1mbit', '512kbit', '10mbps'`,
    ),
  ),
  /** Bucket size; default 10 ms worth of the rate, at least 4 KiB. */
  burst: v.optional(sizeSchema()),
  /** Longest a packet may wait in the bucket before it is dropped. */
  latency: v.optional(durationSchema(), '400ms'),
});

/** The tc argv (pure: unit-tested). */
export function rateLimitShape(
  t: Pick<v.InferOutput<typeof networkRateLimitTunables>, 'rate' | 'burst' | 'latency'>,
): ShapeSpec {
  const bps = parseRate(t.rate)!;
  const burst = String(t.burst === undefined ? Math.max(4096, Math.ceil(bps / 8 / 100)) : parseSize(t.burst));
  const rate = `${Math.round(bps)}bit`;
  return {
    qdisc: ['tbf', 'rate', rate, 'burst', burst, 'latency', `${parseDuration(t.latency)}ms`],
    classArgs: ['rate', rate, 'ceil', rate, 'burst', burst],
  };
}

/**
 * `linux/network-rate-limit`: caps throughput. All traffic: a tbf root qdisc. Named destinations:
 * an htb root, one class at the rate and u32 filters to it (other traffic untouched). Ingress: the
 * interface's packets are redirected to an ifb device shaped the same way.
 */
export const networkRateLimit = tcFault({
  kind: 'linux/network-rate-limit',
  summary: 'Cap the bandwidth of an interface or to chosen destinations (tc tbf/htb, ifb for ingress)',
  tunables: networkRateLimitTunables,
  check: () => tcCapability(),
  shape: rateLimitShape,
});
