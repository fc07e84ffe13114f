import { parsePercent, percentSchema } from '@faultline/core';
import * as v from 'valibot';
import { nftFault } from './net/nft-fault.js';
import { directionSchema, portsNeedTransport, targetEntries } from './net/tunables.js';

/** Tunables of `linux/network-loss`. */
export const networkLossTunables = v.pipe(
  v.strictObject({
    ...targetEntries,
    /** Share of matching packets dropped, 0-100 (`30` or `'30%'`). */
    percent: percentSchema(),
    /** Default egress: packets this host sends. */
    direction: v.optional(directionSchema, 'egress'),
  }),
  portsNeedTransport(),
);

/**
 * `linux/network-loss`: drops a share of matching packets, silently (the application sees no error,
 * the packets just never arrive) — an nft `netdev` table on the interfaces' egress/ingress hooks with
 * `numgen random`.
 */
export const networkLoss = nftFault({
  kind: 'linux/network-loss',
  summary: 'Drop a share of the packets to or from chosen destinations and ports (nftables, silent)',
  tunables: networkLossTunables,
  plan: (t) => ({
    family: 'netdev',
    direction: t.direction,
    verdict: { type: 'loss', percent: parsePercent(t.percent) },
  }),
});
