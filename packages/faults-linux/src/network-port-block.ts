import * as v from 'valibot';
import { nftFault } from './net/nft-fault.js';
import { directionSchema, targetEntries } from './net/tunables.js';

/** Tunables of `linux/network-port-block`. */
export const networkPortBlockTunables = v.pipe(
  v.strictObject({
    ...targetEntries,
    protocol: v.optional(v.picklist(['tcp', 'udp', 'all']), 'tcp'),
    /**
     * `reject` (default): the peer is refused at once (TCP reset, ICMP port unreachable);
     * `drop`: packets vanish and connects hang until their own timeout (~127 s for TCP).
     */
    action: v.optional(v.picklist(['reject', 'drop']), 'reject'),
    /** Default ingress: the ports this host serves. */
    direction: v.optional(directionSchema, 'ingress'),
  }),
  v.check(
    (t) => t.sourcePorts.length + t.destinationPorts.length > 0,
    'name at least one port in sourcePorts or destinationPorts',
  ),
);

/**
 * `linux/network-port-block`: blocks ports. `reject` needs the `inet` input/output hooks (the netdev
 * hooks cannot send a reset); `drop` uses the silent `netdev` hooks like the other nft faults.
 */
export const networkPortBlock = nftFault({
  kind: 'linux/network-port-block',
  summary: 'Block ports: refuse (reject) or blackhole (drop) matching connections (nftables)',
  tunables: networkPortBlockTunables,
  plan: (t) => ({
    family: t.action === 'reject' ? 'inet' : 'netdev',
    direction: t.direction,
    verdict: { type: t.action === 'reject' ? 'reject' : 'drop' },
  }),
});
