/**
 * @faultline/faults-linux — the Linux fault pack: host faults (stress-ng in cgroups, disk fills,
 * signals, systemd) and network faults (nftables, tc) for faultline experiments.
 */
import { definePack, type FaultRef, faultRef } from '@faultline/core';
import type { InferInput } from 'valibot';
import { cpuStress } from './cpu-stress.js';
import { diskFill } from './disk-fill.js';
import { diskIoStress } from './disk-io-stress.js';
import { type DoctorReport, doctorFor } from './doctor.js';
import { run } from './exec.js';
import { fsFill } from './fs-fill.js';
import { type HostScanOptions, type Leftover, scanHostLeftovers } from './leftovers.js';
import { memoryStress } from './memory-stress.js';
import {
  dnsError,
  dnsSpoof,
  networkCorruption,
  networkDuplication,
  networkFaults,
  networkJitter,
  networkLatency,
  networkLoss,
  networkPartition,
  networkPortBlock,
  networkRateLimit,
  scanNetworkLeftovers,
} from './net/index.js';
import { processKill } from './process-kill.js';
import { processPause } from './process-pause.js';
import { serviceRestart } from './service-restart.js';

export { type DoctorReport, type DoctorRow, formatDoctor } from './doctor.js';
export type { FillReceipt } from './host/fill.js';
export type { StressReceipt } from './host/stress.js';
export type { HostScanOptions, Leftover } from './leftovers.js';
export type { DnsReceipt, NetworkLeftover, NftReceipt, ShapeReceipt } from './net/index.js';
export type { KillReceipt } from './process-kill.js';
export type { PauseReceipt } from './process-pause.js';
export type { RestartReceipt } from './service-restart.js';
export {
  cpuStress,
  diskFill,
  diskIoStress,
  dnsError,
  dnsSpoof,
  fsFill,
  memoryStress,
  networkCorruption,
  networkDuplication,
  networkFaults,
  networkJitter,
  networkLatency,
  networkLoss,
  networkPartition,
  networkPortBlock,
  networkRateLimit,
  processKill,
  processPause,
  serviceRestart,
};

/** The host faults of this pack. */
export const hostFaults = [
  cpuStress,
  memoryStress,
  diskIoStress,
  diskFill,
  fsFill,
  processKill,
  processPause,
  serviceRestart,
] as const;

/**
 * The pack: register it with a runtime; a recovering process finds it by this package name. Its
 * leftovers scan (host objects, and network objects in every named namespace) is part of recovery's
 * report.
 */
export const pack = definePack({
  name: '@faultline/faults-linux',
  faults: [...hostFaults, ...networkFaults],
  scanLeftovers: (ctx) => scanLeftovers({ namespaces: 'all', stateDir: ctx.stateDir }),
});
export default pack;

type In<D extends { tunables: any }> = InferInput<D['tunables']>;

/** Typed helpers that validate tunables where they are written: `linux.cpuStress({ load: 80 })`. */
export const linux = {
  /** `linux/cpu-stress`. */
  cpuStress: (t: In<typeof cpuStress> = {}): FaultRef => faultRef(cpuStress, t),
  /** `linux/memory-stress`. */
  memoryStress: (t: In<typeof memoryStress>): FaultRef => faultRef(memoryStress, t),
  /** `linux/disk-io-stress`. */
  diskIoStress: (t: In<typeof diskIoStress>): FaultRef => faultRef(diskIoStress, t),
  /** `linux/disk-fill`. */
  diskFill: (t: In<typeof diskFill>): FaultRef => faultRef(diskFill, t),
  /** `linux/fs-fill`. */
  fsFill: (t: In<typeof fsFill>): FaultRef => faultRef(fsFill, t),
  /** `linux/process-kill`. */
  processKill: (t: In<typeof processKill>): FaultRef => faultRef(processKill, t),
  /** `linux/process-pause`. */
  processPause: (t: In<typeof processPause>): FaultRef => faultRef(processPause, t),
  /** `linux/service-restart`. */
  serviceRestart: (t: In<typeof serviceRestart>): FaultRef => faultRef(serviceRestart, t),
  /** `linux/network-loss` (see docs/network.md for the network faults' tunables). */
  networkLoss: (t: In<typeof networkLoss>): FaultRef => faultRef(networkLoss, t),
  /** `linux/network-partition`. */
  networkPartition: (t: In<typeof networkPartition>): FaultRef => faultRef(networkPartition, t),
  /** `linux/network-port-block`. */
  networkPortBlock: (t: In<typeof networkPortBlock>): FaultRef => faultRef(networkPortBlock, t),
  /** `linux/network-rate-limit`. */
  networkRateLimit: (t: In<typeof networkRateLimit>): FaultRef => faultRef(networkRateLimit, t),
  /** `linux/network-latency`. */
  networkLatency: (t: In<typeof networkLatency>): FaultRef => faultRef(networkLatency, t),
  /** `linux/network-jitter`. */
  networkJitter: (t: In<typeof networkJitter>): FaultRef => faultRef(networkJitter, t),
  /** `linux/network-corruption`. */
  networkCorruption: (t: In<typeof networkCorruption>): FaultRef => faultRef(networkCorruption, t),
  /** `linux/network-duplication`. */
  networkDuplication: (t: In<typeof networkDuplication>): FaultRef => faultRef(networkDuplication, t),
  /** `linux/dns-error`. */
  dnsError: (t: In<typeof dnsError>): FaultRef => faultRef(dnsError, t),
  /** `linux/dns-spoof`. */
  dnsSpoof: (t: In<typeof dnsSpoof>): FaultRef => faultRef(dnsSpoof, t),
};

/** Every fault kind of the pack, available or not on this host and why (each fault's `check()`). */
export function doctor(opts: { signal?: AbortSignal } = {}): Promise<DoctorReport> {
  return doctorFor(pack.faults, opts);
}

/** Options of {@link scanLeftovers}. */
export interface ScanOptions extends HostScanOptions {
  /** Network namespaces to look into as well (besides the host's); `'all'`: every named one (`ip netns list`). */
  namespaces?: readonly string[] | 'all';
}

async function namedNamespaces(): Promise<string[]> {
  const r = await run('ip', ['-j', 'netns', 'list']);
  return r.exitCode === 0 && r.stdout.trim()
    ? (JSON.parse(r.stdout) as { name: string }[]).map((n) => n.name)
    : [];
}

/** Network leftovers; with `'all'`, a namespace deleted while it was being scanned is listed again without it. */
async function networkLeftovers(namespaces: readonly string[] | 'all') {
  if (namespaces !== 'all') return scanNetworkLeftovers({ namespaces: [...namespaces] });
  for (let attempt = 1; ; attempt++) {
    try {
      return await scanNetworkLeftovers({ namespaces: await namedNamespaces() });
    } catch (e) {
      if (attempt >= 3) throw e;
    }
  }
}

/** What faultline left on this host: cgroups, stress processes, fill files, paused processes, network objects. */
export async function scanLeftovers(opts: ScanOptions = {}): Promise<Leftover[]> {
  const net = await networkLeftovers(opts.namespaces ?? []);
  return [
    ...(await scanHostLeftovers(opts)),
    ...net.map((l) => ({
      type: l.type,
      name: l.name,
      detail: l.namespace ? `in network namespace ${l.namespace}` : 'in this network namespace',
      fix: l.remove,
    })),
  ];
}
