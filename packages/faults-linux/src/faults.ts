// The one list of the pack's faults. Adding a Linux fault is its file plus one line here (its helper's
// name, with a line of TSDoc that `linux.<name>` shows): the pack, the helpers and doctor() derive
// from this list.
import { cpuStress } from './cpu-stress.js';
import { diskFill } from './disk-fill.js';
import { diskIoStress } from './disk-io-stress.js';
import { dnsError } from './dns-error.js';
import { dnsSpoof } from './dns-spoof.js';
import { fsFill } from './fs-fill.js';
import { memoryStress } from './memory-stress.js';
import { networkCorruption } from './network-corruption.js';
import { networkDuplication } from './network-duplication.js';
import { networkJitter } from './network-jitter.js';
import { networkLatency } from './network-latency.js';
import { networkLoss } from './network-loss.js';
import { networkPartition } from './network-partition.js';
import { networkPortBlock } from './network-port-block.js';
import { networkRateLimit } from './network-rate-limit.js';
import { processKill } from './process-kill.js';
import { processPause } from './process-pause.js';
import { serviceRestart } from './service-restart.js';

/**
 * Every fault of the pack, keyed by the name of its helper: the kind `linux/network-loss` is
 * `networkLoss` (`linux.networkLoss(...)`); a test holds each key to its kind.
 */
export const faults = {
  /** `linux/cpu-stress`: stress-ng CPU workers at a load, in a cgroup of their own. */ cpuStress,
  /** `linux/memory-stress`: stress-ng workers holding a size (or % of memory). */ memoryStress,
  /** `linux/disk-io-stress`: stress-ng hdd workers writing and reading under a path. */ diskIoStress,
  /** `linux/disk-fill`: one file of a size (or a share of the filesystem). */ diskFill,
  /** `linux/fs-fill`: fill a filesystem up to a usage percent with real data. */ fsFill,
  /** `linux/process-kill`: signal processes by pid, name or pattern. */ processKill,
  /** `linux/process-pause`: stop (or freeze) processes; revert resumes them. */ processPause,
  /** `linux/service-restart`: restart systemd units; revert starts those still down. */ serviceRestart,
  /** `linux/network-loss`: drop a share of matching packets (nftables). */ networkLoss,
  /** `linux/network-partition`: blackhole matching traffic (nftables). */ networkPartition,
  /** `linux/network-port-block`: reject or drop ports (nftables). */ networkPortBlock,
  /** `linux/network-rate-limit`: cap bandwidth (tc tbf/htb). */ networkRateLimit,
  /** `linux/network-latency`: delay packets (tc netem). */ networkLatency,
  /** `linux/network-jitter`: delay packets by a varying amount (tc netem). */ networkJitter,
  /** `linux/network-corruption`: corrupt a share of packets (tc netem). */ networkCorruption,
  /** `linux/network-duplication`: duplicate a share of packets (tc netem). */ networkDuplication,
  /** `linux/dns-error`: make host names fail to resolve (NXDOMAIN or SERVFAIL). */ dnsError,
  /** `linux/dns-spoof`: make host names resolve to other addresses. */ dnsSpoof,
};
