import { defaultJournalPath, FaultlineError, FileJournal } from '@faultline/core';
import { UNFINISHED_STATES } from '@faultline/core/internal';
import { isSameProcess, listPids, type ProcessRef, parentPid, readCmdline, refOf } from './proc.js';
import type { TargetSelector } from './tunables.js';

/** How many processes a names/pattern selector may match unless `maxTargets` says more (a pid list: its length). */
export const DEFAULT_MAX_TARGETS = 1;

/**
 * faultline's own processes, known by the script they run: a sentinel (it reverts after a crash),
 * a DNS fault's resolver (killing it is a different fault), an agent. Pausing or killing one would
 * leave the chaos in place with nobody to remove it.
 */
const OWN_PROCESSES: ReadonlyArray<[RegExp, string]> = [
  [/(^|[\s/])sentinel-main\.[cm]?[jt]s(\s|$)/, "faultline's sentinel"],
  [/(^|[\s/])resolver-server\.mjs(\s|$)/, "a faultline DNS fault's resolver"],
  [/(^|[\s/])faultline-agent(\s|$)/, 'a faultline agent'],
];

/** Why a process is never a target, or undefined when it may be one. */
export type Protection = (pid: number, cmdline?: string) => string | undefined;

/**
 * What process faults never touch: PID 1, this process and its ancestors, faultline's own processes
 * (sentinels, resolvers, agents), and every process with unfinished entries in the journal of
 * `stateDir` (another runtime on this host, whose chaos only it or its sentinel reverts).
 */
export async function protection(stateDir: string | undefined): Promise<Protection> {
  const fixed = new Map<number, string>([
    [0, 'the kernel'],
    [1, 'PID 1'],
    [process.pid, 'faultline itself'],
  ]);
  let pid: number | undefined = process.ppid;
  for (let i = 0; pid !== undefined && pid > 1 && i < 64; i++) {
    fixed.set(pid, "an ancestor of faultline's process");
    pid = parentPid(pid);
  }
  for (const p of await journalPids(stateDir))
    if (!fixed.has(p)) fixed.set(p, 'a faultline runtime with chaos in effect');
  return (p, cmdline = readCmdline(p)) => {
    const known = fixed.get(p);
    if (known) return known;
    return cmdline === undefined ? undefined : OWN_PROCESSES.find(([re]) => re.test(cmdline))?.[1];
  };
}

/** Live processes that have unfinished entries in the FileJournal of `stateDir` (read only). */
async function journalPids(stateDir: string | undefined): Promise<number[]> {
  if (!stateDir) return [];
  // a plain reader: it writes nothing, creates nothing, takes no lock
  const journal = new FileJournal(defaultJournalPath(stateDir), { onWarning: () => {}, reserveBytes: 0 });
  try {
    return (await journal.pending())
      .filter((e) => UNFINISHED_STATES.includes(e.state))
      .filter((e) => e.pidStart === 'unknown' || isSameProcess({ pid: e.pid, startTime: e.pidStart }))
      .map((e) => e.pid);
  } catch {
    return []; // no journal there, or not a FileJournal's: nothing more to protect
  } finally {
    await journal.close().catch(() => {});
  }
}

/** The selector as a person wrote it, for messages. */
export function describeSelector(sel: TargetSelector): string {
  if (sel.pids) return `pids ${sel.pids.join(',')}`;
  if (sel.names) return `names ${sel.names.join(',')}`;
  return `pattern /${sel.pattern}/`;
}

/**
 * Resolves a selector to living processes: `pids` as given, `names` matching /proc/PID/comm
 * exactly, `pattern` a regular expression on the command line; never a kernel thread or a protected
 * process (a pid list naming one is refused with FL_TUNABLES, names and patterns skip them). More
 * matches than `maxTargets` (default: the pid list's length, else {@link DEFAULT_MAX_TARGETS}) is
 * FL_INJECT, before anything is signalled: `names: ['node']` or `pattern: '.'` would take down far
 * more than the experiment meant.
 */
export async function selectTargets(
  sel: TargetSelector,
  opts: { kind: string; stateDir?: string | undefined },
): Promise<ProcessRef[]> {
  const isProtected = await protection(opts.stateDir);
  const refused = (sel.pids ?? []).flatMap((p) => {
    const why = isProtected(p);
    return why ? [`${p} (${why})`] : [];
  });
  if (refused.length) {
    throw new FaultlineError(
      'FL_TUNABLES',
      `${opts.kind} refuses pid(s) ${refused.join(', ')}: PID 1, faultline itself, its ancestors, its sentinels and resolvers, and runtimes with chaos in effect are never targets`,
    );
  }
  const found = findTargets(sel, isProtected);
  const max = sel.maxTargets ?? sel.pids?.length ?? DEFAULT_MAX_TARGETS;
  if (found.length > max) {
    const shown = found
      .slice(0, 10)
      .map((p) => `${p.comm}(${p.pid})`)
      .join(', ');
    throw new FaultlineError(
      'FL_INJECT',
      `${opts.kind}: ${describeSelector(sel)} matches ${found.length} processes (${shown}${found.length > 10 ? ', ...' : ''}), ` +
        `more than maxTargets (${max}); nothing was signalled. Name the targets more precisely, or set maxTargets: ${found.length} if you mean all of them.`,
      { details: { matched: found.map((p) => p.pid), maxTargets: max } },
    );
  }
  return found;
}

/** The living processes a selector matches, without the protected ones and kernel threads. */
export function findTargets(sel: TargetSelector, isProtected: Protection): ProcessRef[] {
  const re = sel.pattern === undefined ? undefined : new RegExp(sel.pattern);
  const names = sel.names ? new Set(sel.names) : undefined;
  const out: ProcessRef[] = [];
  for (const pid of sel.pids ?? listPids()) {
    const cmdline = readCmdline(pid);
    if (!cmdline) continue; // gone, or a kernel thread (empty command line): never a target
    if (isProtected(pid, cmdline)) continue;
    const ref = refOf(pid);
    if (!ref) continue;
    if (names && !names.has(ref.comm)) continue;
    if (re && !re.test(cmdline)) continue;
    out.push(ref);
  }
  return out;
}
