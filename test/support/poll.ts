// Waiting on processes in tests outside the packages (packaging, systemd containers).
import { readFileSync } from 'node:fs';

/** Is `pid` a live process: it exists and is not a zombie waiting for its parent? */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(') ') + 2] !== 'Z'; // the state follows the comm, which may hold ') '
  } catch {
    return false;
  }
}

/** Polls `cond` every 50 ms until it holds; throws after `ms`. */
export async function until(what: string, cond: () => Promise<boolean> | boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
