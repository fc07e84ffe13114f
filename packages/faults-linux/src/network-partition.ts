import * as v from 'valibot';
import { nftFault } from './net/nft-fault.js';
import { directionSchema, portsNeedTransport, targetEntries } from './net/tunables.js';

/** Tunables of `linux/network-partition`. */
export const networkPartitionTunables = v.pipe(
  v.strictObject({
    ...targetEntries,
    /** Default both: a blackhole in both directions. */
    direction: v.optional(directionSchema, 'both'),
  }),
  portsNeedTransport(),
);

/**
 * `linux/network-partition`: a blackhole — every matching packet is dropped silently (connections
 * hang, as behind a dead switch), except SSH when `whitelistSsh` is on.
 */
export const networkPartition = nftFault({
  kind: 'linux/network-partition',
  summary: 'Blackhole the traffic to or from chosen destinations (nftables drop, silent)',
  tunables: networkPartitionTunables,
  plan: (t) => ({ family: 'netdev', direction: t.direction, verdict: { type: 'drop' } }),
});
