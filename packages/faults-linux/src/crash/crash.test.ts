// Crash safety on one host, with real faults and real kills: a host process injects network loss in
// a namespace this test made, a CPU stress, a disk fill in a temp dir and a pause of a `sleep` this
// test spawned — one parallel group — and is then killed (SIGKILL mid-run, mid-inject, mid-revert)
// or signalled (SIGINT, SIGTERM). Each time nothing may be left on the system within 10 s, and the
// journal must hold no unfinished entry.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRuntime } from '@faultline/core';
import probesPack from '@faultline/probes';
import { describe, expect, it } from 'vitest';
import linuxPack from '../index.js';
import { makeNetnsPair, type NetnsPair } from '../testing/netns.js';
import {
  type HostChild,
  type HostChildArgs,
  type HostLine,
  procState,
  type RunScope,
  runPrefix,
  sentinelLog,
  startHostChild,
  stressProcesses,
  whatIsLeft,
  within,
} from './harness.js';

const DEADLINE_MS = 10_000;

interface World {
  pair: NetnsPair;
  sleeper: ChildProcess;
  stateDir: string;
  fillDir: string;
}

/** A namespace pair, a `sleep` to pause, a state dir and a fill dir; all removed after `body`. */
async function withWorld<T>(body: (w: World) => Promise<T>): Promise<T> {
  const pair = await makeNetnsPair({ prefix: 'crash' });
  const sleeper = spawn('sleep', ['600'], { stdio: 'ignore' });
  const stateDir = await mkdtemp('/tmp/crash-state-');
  const fillDir = await mkdtemp('/tmp/crash-fill-');
  try {
    return await body({ pair, sleeper, stateDir, fillDir });
  } finally {
    // whatever the code under test left (the assertions said so already): a recovery, then force
    const rt = await createRuntime({ packs: [linuxPack, probesPack], stateDir, sentinel: false });
    await rt.close();
    sleeper.kill('SIGCONT');
    sleeper.kill('SIGKILL');
    await pair.destroy();
    await rm(stateDir, { recursive: true, force: true });
    await rm(fillDir, { recursive: true, force: true });
  }
}

/** Host arguments for the four faults of the world. */
function chaos(w: World, more: Partial<HostChildArgs> = {}): HostChildArgs {
  return {
    stateDir: w.stateDir,
    net: { namespace: w.pair.a, iface: w.pair.vethA, dest: w.pair.ipB },
    cpuLoad: 20,
    fillDir: w.fillDir,
    pausePid: w.sleeper.pid!,
    ...more,
  };
}

const injected = (h: HostChild) => h.lines.filter((l) => l.event === 'fault.injected');

/** Waits until all four faults are injected, checks they really are in effect, and returns the scope. */
async function allInEffect(h: HostChild, w: World): Promise<RunScope> {
  const started = await h.waitFor((l) => 'started' in l, 'the run start');
  await within(30_000, 'all four faults injected', () => {
    if (h.child.exitCode !== null) throw new Error(`host ended: ${h.stderr()}`);
    return injected(h).length < 4 ? ['waiting'] : [];
  });
  const cpu = injected(h).find((l) => l.stepId === 'cpu')!;
  const scope: RunScope = {
    runId: started.started,
    stateDir: w.stateDir,
    pair: w.pair,
    fillDir: w.fillDir,
    pausePid: w.sleeper.pid!,
    processes: stressProcesses(cpu.receipt),
  };
  // the chaos is real before anything is killed: the scan sees every fault's objects
  const left = (await whatIsLeft(scope, { journal: false })).join('\n');
  expect(left).toContain(`nft in ${w.pair.a}`);
  expect(left).toContain(`${runPrefix(scope.runId)}fill.fill`);
  expect(left).toMatch(/process \d+ is still stopped \(T\)/);
  expect(left).toMatch(new RegExp(`cgroup .*${runPrefix(scope.runId)}cpu`));
  return scope;
}

/** Within the deadline, nothing of the run is left and the journal holds nothing unfinished. */
async function cleanWithin(scope: RunScope): Promise<number> {
  const ms = await within(DEADLINE_MS, 'everything reverted', () => whatIsLeft(scope));
  const st = procState(scope.pausePid!);
  expect(st === 'S' || st === 'R', `the paused process runs again (state ${st})`).toBe(true);
  return ms;
}

const revertedBySentinel = (stateDir: string) =>
  sentinelLog(stateDir)
    .filter((l) => l.what === 'reverted')
    .flatMap((l) => l.entries as { id: string; ok: boolean }[]);

describe.concurrent('a host killed mid-chaos (real faults, real kills)', { timeout: 90_000 }, () => {
  it('SIGKILL mid-run: the sentinel reverts all four faults from the journal', async () => {
    await withWorld(async (w) => {
      const h = startHostChild(chaos(w));
      const scope = await allInEffect(h, w);
      h.child.kill('SIGKILL');
      expect((await h.exited).signal).toBe('SIGKILL');
      await cleanWithin(scope);
      const reverted = revertedBySentinel(w.stateDir);
      expect(reverted.map((e) => e.id.split(':')[1]).sort()).toEqual(['cpu', 'fill', 'loss', 'pause']);
      expect(reverted.every((e) => e.ok)).toBe(true);
    });
  });

  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    it(`${sig}: the host reverts everything itself, then dies of ${sig}`, async () => {
      await withWorld(async (w) => {
        const h = startHostChild(chaos(w));
        const scope = await allInEffect(h, w);
        h.child.kill(sig);
        const end = await h.exited;
        expect(end.signal, `the exit status says ${sig}`).toBe(sig);
        expect(h.lines.filter((l) => l.event === 'fault.reverted').length, 'reverted by the host').toBe(4);
        await cleanWithin(scope);
        expect(revertedBySentinel(w.stateDir), 'the sentinel had nothing to do').toEqual([]);
      });
    });
  }

  it('SIGKILL during inject: entries still `injecting` are cleaned up by name', async () => {
    await withWorld(async (w) => {
      // the host kills itself inside the first `fault.injected` listener: the three others are mid-inject
      const h = startHostChild(chaos(w, { selfKill: { on: 'fault.injected', count: 1 } }));
      const started = await h.waitFor((l) => 'started' in l, 'the run start');
      const killing = await h.waitFor((l) => 'killing' in l, 'the self-kill');
      expect((await h.exited).signal).toBe('SIGKILL');
      expect(killing.killing['fault.injecting']).toBe(4);
      expect(killing.killing['fault.injected'], 'killed while three were injecting').toBe(1);
      await cleanWithin({
        runId: started.started,
        stateDir: w.stateDir,
        pair: w.pair,
        fillDir: w.fillDir,
        pausePid: w.sleeper.pid!,
      });
      expect(revertedBySentinel(w.stateDir)).toHaveLength(4);
    });
  });

  it('SIGKILL during revert: the sentinel finishes what the host had started undoing', async () => {
    await withWorld(async (w) => {
      const h = startHostChild(
        chaos(w, { duration: '1s', selfKill: { on: 'fault.reverting', count: 2, delayMs: 5 } }),
      );
      const scope = await allInEffect(h, w).catch(async (e) => {
        // the short window may end before the scan: what matters is that all four were injected
        if (injected(h).length === 4) return undefined;
        throw e;
      });
      const killing: HostLine = await h.waitFor((l) => 'killing' in l, 'the self-kill');
      expect((await h.exited).signal).toBe('SIGKILL');
      expect(killing.killing['fault.reverting']).toBeGreaterThanOrEqual(2);
      expect(killing.killing['fault.reverted'], 'killed before the host reverted all').toBeLessThan(4);
      const started = h.lines.find((l) => 'started' in l)!;
      const cpu = injected(h).find((l) => l.stepId === 'cpu')!;
      await cleanWithin(
        scope ?? {
          runId: started.started,
          stateDir: w.stateDir,
          pair: w.pair,
          fillDir: w.fillDir,
          pausePid: w.sleeper.pid!,
          processes: stressProcesses(cpu.receipt),
        },
      );
    });
  });
});

describe.concurrent('recovery after a reboot, a failed revert, and leftovers', { timeout: 90_000 }, () => {
  it('after a reboot: a fill file still on disk is reverted, an nft table whose namespace went is `gone`', async () => {
    await withWorld(async (w) => {
      // no sentinel: the host dies with its chaos in place, as a power cut would leave it
      const h = startHostChild({
        stateDir: w.stateDir,
        sentinel: false,
        net: { namespace: w.pair.a, iface: w.pair.vethA, dest: w.pair.ipB },
        fillDir: w.fillDir,
      });
      const started = await h.waitFor((l) => 'started' in l, 'the run start');
      await within(30_000, 'both injected', () => (injected(h).length < 2 ? ['waiting'] : []));
      h.child.kill('SIGKILL');
      await h.exited;
      const fill = `${w.fillDir}/${runPrefix(started.started)}fill.fill`;
      expect(existsSync(fill), 'nothing reverted the fill').toBe(true);
      // the reboot: kernel state (the namespace and its table) is gone, the disk is not
      await w.pair.destroy();

      const rt = await createRuntime({
        packs: [linuxPack, probesPack],
        stateDir: w.stateDir,
        bootId: 'the-boot-after',
        sentinel: false,
      });
      try {
        const outcome = Object.fromEntries(
          rt.recovery!.entries.map((e) => [e.entry.stepId, [e.outcome, e.reason]]),
        );
        expect(outcome.fill?.[0]).toBe('reverted');
        expect(outcome.fill?.[1]).toMatch(/from boot .* still in effect/);
        expect(outcome.loss?.[0]).toBe('gone');
        expect(existsSync(fill)).toBe(false);
        expect(await rt.journal.pending()).toEqual([]);
      } finally {
        await rt.close();
      }
    });
  });
});
