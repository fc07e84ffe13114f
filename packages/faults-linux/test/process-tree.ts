// A process tree a test owns, for process-pause: a parent, two children and a grandchild, each a shell
// that appends to its own tick file every 50 ms (so "it runs" is measured as progress, not guessed
// from a state letter) and forks a short `sleep` each time (so the tree changes all the time, as a
// real service's does, and a pause has to catch forks in flight).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readProcStat } from '@faultline/core/internal';
import { type ProcessRef, refOf } from '../src/host/proc.js';
import { descendantsOf } from '../src/host/tree.js';

const SCRIPT = `
tick() { while :; do echo . >> "$1"; sleep 0.05; done; }
tick "$1/child1" &
( tick "$1/grandchild" & tick "$1/child2" ) &
tick "$1/parent"
`;

/** The four long-lived members, by the tick file each writes. */
export const MEMBERS = ['parent', 'child1', 'child2', 'grandchild'] as const;

/** A running tree. */
export interface ProcessTree {
  child: ChildProcess;
  /** The parent's pid (the target). */
  pid: number;
  dir: string;
  /** The parent and every process below it now (the short sleeps included). */
  members(): ProcessRef[];
  /** Lines each long-lived member has written so far. */
  ticks(): Record<(typeof MEMBERS)[number], number>;
  /** Kills the whole tree (its own process group), waits for the parent, removes the dir. */
  stop(): Promise<void>;
}

/** Starts the tree and waits until all four members tick. */
export async function spawnTree(): Promise<ProcessTree> {
  const dir = mkdtempSync('/tmp/flc-tree-');
  // its own process group: stop() ends every member at once, whatever state a test left it in
  const child = spawn('/bin/sh', ['-c', SCRIPT, 'fl-tree', dir], { stdio: 'ignore', detached: true });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const pid = child.pid!;
  const ticks = () =>
    Object.fromEntries(
      MEMBERS.map((m) => {
        try {
          return [m, readFileSync(`${dir}/${m}`, 'utf8').length];
        } catch {
          return [m, 0];
        }
      }),
    ) as Record<(typeof MEMBERS)[number], number>;
  const tree: ProcessTree = {
    child,
    pid,
    dir,
    ticks,
    members() {
      const root = refOf(pid);
      return root ? [root, ...descendantsOf([root])] : [];
    },
    async stop() {
      for (const sig of ['SIGCONT', 'SIGKILL'] as const) {
        try {
          process.kill(-pid, sig);
        } catch {
          // the group is gone
        }
      }
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
  for (let i = 0; i < 100 && !Object.values(ticks()).every((n) => n > 0); i++)
    await new Promise((r) => setTimeout(r, 20));
  if (!Object.values(ticks()).every((n) => n > 0)) {
    await tree.stop();
    throw new Error('the process tree did not start ticking');
  }
  return tree;
}

/** The state letter of each pid (undefined: gone). */
export function statesOf(refs: readonly ProcessRef[]): Record<number, string | undefined> {
  return Object.fromEntries(refs.map((p) => [p.pid, readProcStat(p.pid)?.state]));
}

/** Waits `ms`, and returns which members made progress (their tick file grew) meanwhile. */
export async function progressed(tree: ProcessTree, ms: number): Promise<string[]> {
  const before = tree.ticks();
  await new Promise((r) => setTimeout(r, ms));
  const after = tree.ticks();
  return MEMBERS.filter((m) => after[m] > before[m]);
}
