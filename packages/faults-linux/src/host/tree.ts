// Process trees from /proc: what process-pause needs to pause a target with everything it forked.
import { readdirSync, readFileSync } from 'node:fs';
import { type ProcessRef, readComm } from './proc.js';
import { ownProcesses } from './targets.js';

/** One process as /proc/PID/stat shows it now. */
interface ProcRow {
  ppid: number;
  state: string;
  startTime: string;
}

/** One pass over /proc/<pid>/stat: parent, state and start time of every process now. */
function processTable(): Map<number, ProcRow> {
  const table = new Map<number, ProcRow>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let text: string;
    try {
      text = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // the comm field may hold `) `: everything up to the last one is skipped (state, ppid, ... follow)
    const rest = text.slice(text.lastIndexOf(') ') + 2).split(' ');
    const [state, ppid, startTime] = [rest[0], Number(rest[1]), rest[19]];
    if (state && startTime && Number.isInteger(ppid)) table.set(Number(name), { ppid, state, startTime });
  }
  return table;
}

/**
 * Every living descendant of the roots right now, parents before their children (breadth first), each
 * as a ref (pid + start time). A root counts only while it is the same process (start time); zombies
 * are left out (nothing to stop or resume), and so are faultline's own processes (itself, its ancestors,
 * a sentinel or resolver that a target's tree may hold: pausing one would leave the chaos unwatched).
 */
export function descendantsOf(roots: readonly { pid: number; startTime: string }[]): ProcessRef[] {
  const table = processTable();
  const children = new Map<number, number[]>();
  for (const [pid, row] of table) {
    const list = children.get(row.ppid);
    if (list) list.push(pid);
    else children.set(row.ppid, [pid]);
  }
  const isOwn = ownProcesses();
  const out: ProcessRef[] = [];
  const seen = new Set<number>();
  let level = roots.filter((r) => table.get(r.pid)?.startTime === r.startTime).map((r) => r.pid);
  while (level.length > 0) {
    const next: number[] = [];
    for (const pid of level) {
      for (const child of children.get(pid) ?? []) {
        if (seen.has(child) || isOwn(child)) continue;
        seen.add(child);
        next.push(child);
        const row = table.get(child)!;
        if (row.state !== 'Z' && row.state !== 'X')
          out.push({ pid: child, startTime: row.startTime, comm: readComm(child) ?? '?' });
      }
    }
    level = next;
  }
  return out;
}

/** The process's parent pid, from the same table, or undefined when it is gone. */
export function ancestry(pid: number): number[] {
  const table = processTable();
  const out: number[] = [];
  for (let p = table.get(pid)?.ppid; p !== undefined && p > 0 && out.length < 4096; p = table.get(p)?.ppid)
    out.push(p);
  return out;
}
