// What process-pause acts on: its targets, and with `tree` every process below them. A tree is paused
// in rounds, top-down, until a round finds nothing new: a parent forks until the moment it stops, so a
// child it forked just before is found by the next round (and a stopped or frozen parent forks no more).
import { setTimeout as sleep } from 'node:timers/promises';
import { FaultlineError } from '@faultline/core';
import { type ProcessRef, signalIfSame, stateOf } from './proc.js';
import { descendantsOf } from './tree.js';

/** Bound on rounds: a tree that still grows after this many is forking faster than it can be paused. */
const MAX_ROUNDS = 50;

/** A process's state says stopped by a signal (`T`) or by a tracer (`t`). */
export const isStopped = (p: { pid: number; startTime: string }): boolean => {
  const s = stateOf(p);
  return s === 'T' || s === 't';
};

const same = (a: { pid: number; startTime: string }, b: { pid: number; startTime: string }) =>
  a.pid === b.pid && a.startTime === b.startTime;

/** True when `list` names `p` (same pid and start time). */
export const listed = (
  list: readonly { pid: number; startTime: string }[],
  p: { pid: number; startTime: string },
) => list.some((q) => same(q, p));

/**
 * Pauses the targets, then (with `tree`) their descendants round after round until a round finds
 * none. `pauseSome` pauses the processes of one round, parents first; `onRound` runs before it with
 * everything found so far and the round's new processes, so the record on disk is written before
 * anything is paused.
 */
export async function pauseInRounds(
  targets: readonly ProcessRef[],
  tree: boolean,
  hooks: {
    onRound(members: readonly ProcessRef[], fresh: readonly ProcessRef[]): void;
    pauseSome(fresh: readonly ProcessRef[]): Promise<void>;
  },
): Promise<ProcessRef[]> {
  const members: ProcessRef[] = [];
  let fresh: ProcessRef[] = [...targets];
  for (let round = 0; fresh.length > 0; round++) {
    if (round >= MAX_ROUNDS) {
      throw new FaultlineError(
        'FL_INJECT',
        `linux/process-pause: the process tree kept growing after ${MAX_ROUNDS} rounds (${members.length} processes paused); what was paused is resumed`,
      );
    }
    members.push(...fresh);
    hooks.onRound(members, fresh);
    await hooks.pauseSome(fresh);
    if (!tree) break;
    fresh = descendantsOf(targets).filter((p) => !listed(members, p));
  }
  return members;
}

/**
 * SIGSTOPs one round, parents first, and waits (bounded) until each shows state T: a stop takes
 * effect when the process next runs, and the next round must see a parent that can no longer fork.
 */
export async function stopRound(fresh: readonly ProcessRef[]): Promise<void> {
  const stopped = fresh.filter((p) => signalIfSame(p, 'SIGSTOP'));
  for (let i = 0; i < 100 && !stopped.every((p) => isStopped(p) || stateOf(p) === undefined); i++)
    await sleep(10);
}

/**
 * Everything a revert resumes: the members recorded, and with `tree` whatever is below the targets
 * now (a descendant forked while the record was being written, or by a member someone else resumed),
 * except what was stopped before the pause began. Children come before their parents, so a parent
 * wakes to children that already run.
 */
export function resumeOrder(r: {
  targets: readonly ProcessRef[];
  members: readonly ProcessRef[];
  tree: boolean;
  alreadyStopped: readonly ProcessRef[];
}): ProcessRef[] {
  const all = [...r.members];
  if (r.tree) for (const p of descendantsOf(r.targets)) if (!listed(all, p)) all.push(p);
  return all.filter((p) => !listed(r.alreadyStopped, p)).reverse();
}
