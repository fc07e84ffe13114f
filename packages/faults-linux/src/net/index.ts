// The network faults of @faultline/faults-linux: the pack's index imports them from here.
import { dnsError } from '../dns-error.js';
import { dnsSpoof } from '../dns-spoof.js';
import { networkCorruption } from '../network-corruption.js';
import { networkDuplication } from '../network-duplication.js';
import { networkJitter } from '../network-jitter.js';
import { networkLatency } from '../network-latency.js';
import { networkLoss } from '../network-loss.js';
import { networkPartition } from '../network-partition.js';
import { networkPortBlock } from '../network-port-block.js';
import { networkRateLimit } from '../network-rate-limit.js';

export type { DnsReceipt } from './dns-fault.js';
export { type NetworkLeftover, scanNetworkLeftovers } from './leftovers.js';
export type { NftReceipt } from './nft-fault.js';
export type { ShapeReceipt } from './tc-fault.js';
export {
  dnsError,
  dnsSpoof,
  networkCorruption,
  networkDuplication,
  networkJitter,
  networkLatency,
  networkLoss,
  networkPartition,
  networkPortBlock,
  networkRateLimit,
};

/** Every network fault of the pack. */
export const networkFaults = [
  networkLoss,
  networkPartition,
  networkPortBlock,
  networkRateLimit,
  networkLatency,
  networkJitter,
  networkCorruption,
  networkDuplication,
  dnsError,
  dnsSpoof,
] as const;
