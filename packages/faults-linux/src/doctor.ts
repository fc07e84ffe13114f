import { readFileSync } from 'node:fs';
import { type FaultDefinition, silentLogger } from '@faultline/core';
import { detectLayout } from './host/cgroup.js';

/** One line of the doctor's answer: can this host run that fault kind, and if not why and how to fix it. */
export type DoctorRow = { kind: string; available: boolean; reason?: string; fix?: string };

/** What the doctor found about the host itself. */
export type DoctorReport = { host: { kernel: string; cgroups: string; pid1: string }; faults: DoctorRow[] };

function read(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

/**
 * Asks every fault's `check()` (with no tunables: the host, not a step) and reports each kind as
 * available or not, with the reason. A check that throws is reported, not propagated.
 */
export async function doctorFor(
  faults: readonly FaultDefinition<any, any>[],
  opts: { signal?: AbortSignal } = {},
): Promise<DoctorReport> {
  const signal = opts.signal ?? new AbortController().signal;
  const rows = await Promise.all(
    faults.map(async (f): Promise<DoctorRow> => {
      if (!f.check) return { kind: f.kind, available: true };
      try {
        const c = await f.check({ signal, log: silentLogger });
        return {
          kind: f.kind,
          available: c.available,
          ...(c.reason ? { reason: c.reason } : {}),
          ...(c.fix ? { fix: c.fix } : {}),
        };
      } catch (e) {
        return { kind: f.kind, available: false, reason: `check failed: ${(e as Error).message}` };
      }
    }),
  );
  const layout = detectLayout();
  const cgroups =
    layout.mode === 'hybrid'
      ? `hybrid (v1 controllers, cgroup2 at ${layout.v2})`
      : layout.mode === 'v2'
        ? `v2 at ${layout.v2}`
        : layout.mode;
  return {
    host: { kernel: read('/proc/sys/kernel/osrelease'), cgroups, pid1: read('/proc/1/comm') },
    faults: rows,
  };
}

/** The report as a markdown table (what `faultline doctor` prints). */
export function formatDoctor(r: DoctorReport): string {
  const lines = [
    `kernel ${r.host.kernel}, cgroups ${r.host.cgroups}, PID 1 ${r.host.pid1}`,
    '',
    '| fault | available | why / fix |',
    '|---|---|---|',
    ...r.faults.map(
      (f) =>
        `| ${f.kind} | ${f.available ? 'yes' : 'no'} | ${[f.reason, f.fix].filter(Boolean).join(' — ')} |`,
    ),
  ];
  return lines.join('\n');
}
