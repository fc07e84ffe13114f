// linux/process-pause on a real process tree the test spawns (parent, two children, a grandchild, each
// ticking into a file and forking a short sleep every 50 ms): during the pause every member is stopped
// (T) or frozen and none makes progress; after revert all of them tick again — whatever did the
// revert: this process, a fresh one with the receipt alone, or a fresh one with only the record.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { type Json, parseTunables } from '@faultline/core';
import { revertInFreshProcess } from '@faultline/core/testing';
import { describe, expect, it } from 'vitest';
import { leftoversOf, testCtx, until } from '../test/helpers.js';
import { MEMBERS, progressed, spawnTree, statesOf } from '../test/process-tree.js';
import { type ProcessRef, parentPid, signalIfSame } from './host/proc.js';
import { descendantsOf } from './host/tree.js';
import { type PauseReceipt, pauseRecordPath, processPause } from './process-pause.js';

const PAUSE_MS = 300;
const cgroupOf = (pid: number) => readFileSync(`/proc/${pid}/cgroup`, 'utf8');

const pauseCtx = (tunables: object, stateDir: string) =>
  testCtx('tree', parseTunables(processPause, tunables), stateDir);

/** A tree, a state dir and a context; the tree is always killed and the state dir removed. */
async function withTree(
  tunables: Record<string, unknown>,
  body: (x: {
    tree: Awaited<ReturnType<typeof spawnTree>>;
    ctx: ReturnType<typeof pauseCtx>;
    stateDir: string;
  }) => Promise<void>,
) {
  const stateDir = await mkdtemp('/tmp/flc-state-');
  const tree = await spawnTree();
  try {
    const ctx = pauseCtx({ pids: [tree.pid], ...tunables }, stateDir);
    await body({ tree, ctx, stateDir });
  } finally {
    await tree.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
}

/** Every member runs again: none stopped, all four tick. */
async function expectAllRunning(tree: Awaited<ReturnType<typeof spawnTree>>) {
  const states = statesOf(tree.members());
  expect(
    Object.values(states).filter((s) => s === 'T' || s === 't'),
    JSON.stringify(states),
  ).toEqual([]);
  expect(await progressed(tree, 400)).toEqual([...MEMBERS]);
}

describe('linux/process-pause of a process tree', () => {
  it('by default pauses the whole tree with SIGSTOP: every member T, none progresses; revert resumes all', async () => {
    await withTree({}, async ({ tree, ctx, stateDir }) => {
      const r = await processPause.inject(ctx);
      try {
        expect(r.tree).toBe(true);
        const during = tree.members();
        expect(during.length).toBeGreaterThanOrEqual(4);
        const states = statesOf(during);
        expect(
          Object.values(states).every((s) => s === 'T'),
          JSON.stringify(states),
        ).toBe(true);
        expect(await progressed(tree, PAUSE_MS), 'members that progressed while paused').toEqual([]);
        // every member is in the receipt (parents first), so a fresh process knows them all
        expect(r.members!.map((m) => m.pid)).toEqual(expect.arrayContaining(during.map((m) => m.pid)));
        expect(r.members![0]!.pid).toBe(tree.pid);
        expect(await processPause.present!(r, ctx)).toBe(true);
        expect((await leftoversOf([ctx.objectName], { stateDir })).length).toBeGreaterThanOrEqual(4);
      } finally {
        await processPause.revert(r, ctx);
      }
      await expectAllRunning(tree);
      expect(await processPause.present!(r, ctx)).toBe(false);
      expect(existsSync(pauseRecordPath(stateDir, ctx.objectName))).toBe(false);
      expect(await leftoversOf([ctx.objectName], { stateDir })).toEqual([]);
    });
  });

  it('method freezer: the whole tree sits frozen in our group; revert thaws it and puts each back', async () => {
    await withTree({ method: 'freezer' }, async ({ tree, ctx }) => {
      const before = Object.fromEntries(tree.members().map((m) => [m.pid, cgroupOf(m.pid)]));
      const r = await processPause.inject(ctx);
      try {
        const g = r.freezer!;
        const inGroup = readFileSync(`${g.dir}/cgroup.procs`, 'utf8').split('\n').filter(Boolean).map(Number);
        expect(inGroup).toEqual(expect.arrayContaining(tree.members().map((m) => m.pid)));
        expect(
          g.version === 'v1'
            ? readFileSync(`${g.dir}/freezer.state`, 'utf8').trim()
            : readFileSync(`${g.dir}/cgroup.events`, 'utf8').match(/^frozen (\d)$/m)?.[1],
        ).toBe(g.version === 'v1' ? 'FROZEN' : '1');
        expect(await progressed(tree, PAUSE_MS), 'members that progressed while frozen').toEqual([]);
      } finally {
        await processPause.revert(r, ctx);
      }
      expect(existsSync(r.freezer!.dir)).toBe(false);
      for (const m of tree.members())
        if (before[m.pid] !== undefined) expect(cgroupOf(m.pid), `pid ${m.pid}`).toBe(before[m.pid]);
      await expectAllRunning(tree);
    });
  });

  it('tree: false pauses the target alone; its children go on', async () => {
    await withTree({ tree: false }, async ({ tree, ctx }) => {
      const r = await processPause.inject(ctx);
      try {
        expect(r.members!.map((m) => m.pid)).toEqual([tree.pid]);
        expect(statesOf(tree.members())[tree.pid]).toBe('T');
        expect(await progressed(tree, PAUSE_MS)).toEqual(['child1', 'child2', 'grandchild']);
      } finally {
        await processPause.revert(r, ctx);
      }
      await expectAllRunning(tree);
    });
  });

  for (const method of ['signal', 'freezer'] as const) {
    it(`${method}: forks in flight are caught, five pauses in a row leave nothing running or behind`, async () => {
      await withTree({ method }, async ({ tree, ctx }) => {
        for (let i = 0; i < 5; i++) {
          const r = await processPause.inject(ctx);
          try {
            // the members fork a sleep every 50 ms: any fork that escaped a round would be running now
            const running = tree
              .members()
              .filter((m) => !r.members!.some((x) => x.pid === m.pid && x.startTime === m.startTime));
            expect(running, 'members the pause does not know').toEqual([]);
            expect(await progressed(tree, 150)).toEqual([]);
          } finally {
            await processPause.revert(r, ctx);
          }
          expect(r.freezer === null || !existsSync(r.freezer.dir)).toBe(true);
        }
        await expectAllRunning(tree);
      });
    });
  }

  it('revert resumes a stopped descendant that no record names', async () => {
    await withTree({}, async ({ tree, ctx }) => {
      const r = await processPause.inject(ctx);
      try {
        // an outside actor (a shell's `bg`, a supervisor) resumes child2 and the sleep it waits for;
        // child2 forks a new sleep, which job control stops again with child2: no record names it
        const known = (p: ProcessRef) =>
          r.members!.some((m) => m.pid === p.pid && m.startTime === p.startTime);
        const child2 = r.members!.find(
          (m) => m.pid !== tree.pid && descendantsOf([m]).some((d) => d.comm === 'sh'),
        )!;
        expect(child2, 'the member whose child is the grandchild').toBeDefined();
        const sleepsOf = (p: ProcessRef) =>
          descendantsOf([p]).filter((d) => d.comm === 'sleep' && parentPid(d.pid) === p.pid);
        for (const p of [child2, ...sleepsOf(child2)]) signalIfSame(p, 'SIGCONT');
        let stray: ProcessRef | undefined;
        await until(() => {
          stray = sleepsOf(child2).find((d) => !known(d));
          return stray !== undefined && signalIfSame(stray, 'SIGSTOP');
        });
        signalIfSame(child2, 'SIGSTOP');
        expect(stray, 'a sleep child2 forked after the pause').toBeDefined();
        expect(await until(() => statesOf([stray!])[stray!.pid] === 'T')).toBe(true);
        expect(await processPause.present!(r, ctx)).toBe(true);
      } finally {
        await processPause.revert(r, ctx);
      }
      await expectAllRunning(tree);
    });
  });

  for (const method of ['signal', 'freezer'] as const) {
    for (const withReceipt of [true, false]) {
      it(`${method}: a fresh process resumes the whole tree ${withReceipt ? 'from the receipt alone' : 'with no receipt (the record)'}`, async () => {
        await withTree({ method }, async ({ tree, ctx }) => {
          const r = await processPause.inject(ctx);
          try {
            expect(await progressed(tree, 150)).toEqual([]);
            // what the sentinel has after kill -9: the journal entry's facts, and the receipt or not
            const { runId, stepId, iteration, objectName, stateDir } = ctx;
            const facts = { runId, stepId, iteration, objectName, stateDir, tunables: ctx.tunables as Json };
            const receipt = withReceipt ? (r as unknown as Json) : undefined;
            const pack = '@faultline/faults-linux';
            const res = await revertInFreshProcess({
              pack,
              kind: processPause.kind,
              receipt,
              ...facts,
              checkPresent: true,
            });
            expect(res).toEqual({ ok: true, present: false });
            await expectAllRunning(tree);
          } finally {
            await processPause.revert(r, ctx);
          }
        });
      });
    }
  }

  it('an old receipt (targets only, before trees) still reverts', async () => {
    await withTree({ tree: false }, async ({ tree, ctx }) => {
      const r = await processPause.inject(ctx);
      const old: PauseReceipt = { targets: r.targets, method: 'signal', freezer: null };
      await processPause.revert(old, ctx);
      await expectAllRunning(tree);
    });
  });
});
