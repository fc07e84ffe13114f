// kill -9 of the host in the middle of a tree pause: the sentinel resumes every member of the tree
// (parent, children, grandchild, whatever they had forked), with either method, from the journal.
import { mkdtemp, rm } from 'node:fs/promises';
import { createRuntime } from '@faultline/core';
import probesPack from '@faultline/probes';
import { describe, expect, it } from 'vitest';
import linuxPack from '../../src/index.js';
import { MEMBERS, progressed, spawnTree, statesOf } from '../process-tree.js';
import { sentinelLog, startHostChild, whatIsLeft, within } from './harness.js';

const DEADLINE_MS = 10_000;

describe.concurrent('a host killed while it pauses a process tree', { timeout: 90_000 }, () => {
  for (const method of ['signal', 'freezer'] as const) {
    it(`${method}: SIGKILL mid-pause, the sentinel resumes the whole tree`, async () => {
      const stateDir = await mkdtemp('/tmp/crash-state-');
      const tree = await spawnTree();
      try {
        const h = startHostChild({ stateDir, pausePid: tree.pid, pauseMethod: method });
        const started = await h.waitFor((l) => 'started' in l, 'the run start');
        const injected = await h.waitFor((l) => l.event === 'fault.injected', 'the pause', 30_000);
        expect(injected.receipt.members.length).toBeGreaterThanOrEqual(4);
        // paused for real before the kill: nothing of the tree makes progress
        expect(await progressed(tree, 300)).toEqual([]);
        h.child.kill('SIGKILL');
        expect((await h.exited).signal).toBe('SIGKILL');
        const ms = await within(DEADLINE_MS, 'the tree resumed and nothing left', async () => {
          const stopped = Object.entries(statesOf(tree.members())).filter(([, s]) => s === 'T' || s === 't');
          return [
            ...stopped.map(([pid]) => `pid ${pid} still stopped`),
            ...(await whatIsLeft({ runId: started.started, stateDir, pausePid: tree.pid })),
          ];
        });
        expect(await progressed(tree, 400)).toEqual([...MEMBERS]);
        const reverted = sentinelLog(stateDir).filter((l) => l.what === 'reverted');
        expect(reverted.flatMap((l) => l.entries.map((e: { ok: boolean }) => e.ok))).toEqual([true]);
        console.log(
          `${method}: tree of ${injected.receipt.members.length} resumed ${Math.round(ms)} ms after the kill`,
        );
      } finally {
        const rt = await createRuntime({ packs: [linuxPack, probesPack], stateDir, sentinel: false });
        await rt.close();
        await tree.stop();
        await rm(stateDir, { recursive: true, force: true });
      }
    });
  }
});
