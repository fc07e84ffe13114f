/**
 * @faultline/faults-linux — the Linux fault pack: host faults (stress-ng in cgroups, disk fills,
 * signals, systemd) and network faults (nftables, tc) for faultline experiments.
 */
import { definePack } from '@faultline/core';
import { type DoctorReport, doctorFor } from './doctor.js';
import { run } from './exec.js';
import { faults } from './faults.js';
import { hostReachableProbe } from './health/host-reachable.js';
import { infraResponsiveProbe } from './health/infra-responsive.js';
import { processAliveProbe } from './health/process-alive.js';
import { type HostScanOptions, type Leftover, scanHostLeftovers } from './leftovers.js';
import { scanNetworkLeftovers } from './net/leftovers.js';

export { type DoctorReport, type DoctorRow, formatDoctor } from './doctor.js';
export { faults } from './faults.js';
export { hostReachable, hostReachableProbe } from './health/host-reachable.js';
export { infraResponsive, infraResponsiveProbe } from './health/infra-responsive.js';
export { processAlive, processAliveProbe } from './health/process-alive.js';
export type { FillReceipt } from './host/fill.js';
export type { StressReceipt } from './host/stress.js';
export type { HostScanOptions, Leftover } from './leftovers.js';
export { type LinuxHelpers, linux } from './linux.js';
export type { DnsReceipt } from './net/dns-fault.js';
export type { NetworkLeftover } from './net/leftovers.js';
export type { NftReceipt } from './net/nft-fault.js';
export type { ShapeReceipt } from './net/tc-fault.js';
export type { KillReceipt } from './process-kill.js';
export type { PauseReceipt } from './process-pause.js';
export type { RestartReceipt } from './service-restart.js';

/**
 * The pack: register it with a runtime; a recovering process finds it by this package name. It runs
 * on its own: the probes its faults' health checks use (`probe/host-reachable`,
 * `probe/process-alive`, `probe/infra-responsive`) come with it. Its leftovers scan (host objects,
 * and network objects in every named namespace) is part of recovery's report.
 */
export const pack = definePack({
  name: '@faultline/faults-linux',
  faults: Object.values(faults),
  probes: [hostReachableProbe, processAliveProbe, infraResponsiveProbe],
  scanLeftovers: (ctx) => scanLeftovers({ namespaces: 'all', stateDir: ctx.stateDir }),
});
export default pack;

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
