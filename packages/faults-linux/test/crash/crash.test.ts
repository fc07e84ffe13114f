// Crash safety on one host, with real faults and real kills: a host process injects network loss in
// a namespace this test made, a CPU stress, a disk fill in a temp dir and a pause of a `sleep` this
// test spawned — one parallel group — and is then killed (SIGKILL mid-run, mid-inject, mid-revert)
// or signalled (SIGINT, SIGTERM). Each time nothing may be left on the system within 10 s, and the
// journal must hold no unfinished entry.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRuntime, experiment, parseTunables } from '@faultline/core';
import probesPack from '@faultline/probes';
import { describe, expect, it } from 'vitest';
import linuxPack, { linux } from '../../src/index.js';
import { networkLoss } from '../../src/network-loss.js';
import { processPause } from '../../src/process-pause.js';
import { faultCtx, makeNetnsPair, type NetnsPair } from '../../src/testing/netns.js';
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

/** Can this filesystem make a file immutable (chattr +i)? The failed-revert test needs it. */
const chattrWorks = (() => {
  const dir = mkdtempSync('/tmp/crash-chattr-');
  const f = `${dir}/probe`;
  try {
    writeFileSync(f, '');
    const ok = spawnSync('chattr', ['+i', f]).status === 0;
    spawnSync('chattr', ['-i', f]);
    return ok;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
})();
if (!chattrWorks)
  console.log('skipping the failed-revert test: chattr +i does not work on /tmp here (no immutable files)');

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
    cpuLoad: 10,
    fillDir: w.fillDir,
    pausePid: w.sleeper.pid!,
    ...more,
  };
}

const injected = (h: HostChild) => h.lines.filter((l) => l.event === 'fault.injected');

/** What a run in this world may leave behind, for the scans: its objects, the fill dir, the paused process. */
function scopeOf(w: World, runId: string, more: Partial<RunScope> = {}): RunScope {
  return { runId, stateDir: w.stateDir, pair: w.pair, fillDir: w.fillDir, pausePid: w.sleeper.pid!, ...more };
}

/** Waits until all four faults are injected, checks they really are in effect, and returns the scope. */
async function allInEffect(h: HostChild, w: World): Promise<RunScope> {
  const started = await h.waitFor((l) => 'started' in l, 'the run start');
  await within(30_000, 'all four faults injected', () => {
    if (h.child.exitCode !== null || h.child.signalCode !== null)
      throw new Error(`host ended: ${h.stderr()}`);
    return injected(h).length < 4 ? ['waiting'] : [];
  });
  const cpu = injected(h).find((l) => l.stepId === 'cpu')!;
  const scope = scopeOf(w, started.started, { processes: stressProcesses(cpu.receipt) });
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
        const said = `host stdout: ${JSON.stringify(h.lines)}\nstderr: ${h.stderr()}`;
        expect(end.signal, `the exit status says ${sig}; ${said}`).toBe(sig);
        expect(
          h.lines.filter((l) => l.event === 'fault.reverted').length,
          `reverted by the host; ${said}`,
        ).toBe(4);
        await cleanWithin(scope);
        expect(
          revertedBySentinel(w.stateDir),
          `the sentinel had nothing to do; its log: ${JSON.stringify(sentinelLog(w.stateDir))}`,
        ).toEqual([]);
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
      await cleanWithin(scopeOf(w, started.started));
      expect(revertedBySentinel(w.stateDir)).toHaveLength(4);
    });
  });

  it('SIGKILL during revert: the sentinel finishes what the host had started undoing', async () => {
    await withWorld(async (w) => {
      // each fault's window starts at its own inject; under load a slow one may still be injecting
      // when the first reverts begin, which is a fine moment to die too
      const h = startHostChild(
        chaos(w, { duration: '1500ms', selfKill: { on: 'fault.reverting', count: 2, delayMs: 5 } }),
      );
      const started = await h.waitFor((l) => 'started' in l, 'the run start');
      const killing: HostLine = await h.waitFor((l) => 'killing' in l, 'the self-kill', 60_000);
      expect((await h.exited).signal).toBe('SIGKILL');
      expect(killing.killing['fault.reverting']).toBeGreaterThanOrEqual(2);
      expect(killing.killing['fault.reverted'], 'killed before the host reverted all').toBeLessThan(4);
      const cpu = injected(h).find((l) => l.stepId === 'cpu');
      await cleanWithin(scopeOf(w, started.started, cpu ? { processes: stressProcesses(cpu.receipt) } : {}));
      expect(revertedBySentinel(w.stateDir).length, 'the sentinel had work left').toBeGreaterThan(0);
    });
  });

  it('a command the dead host had spawned re-creates its table after the revert: the sentinel removes it again', async () => {
    await withWorld(async (w) => {
      // no CPU stress here: the three others are journaled once the third `fault.injecting` is out
      const { cpuLoad: _, ...noCpu } = chaos(w, { selfKill: { on: 'fault.injecting', count: 3 } });
      const h = startHostChild(noCpu);
      const started = await h.waitFor((l) => 'started' in l, 'the run start');
      await h.exited;
      await within(
        DEADLINE_MS,
        'the sentinel reverted',
        () => (sentinelLog(w.stateDir).some((l) => l.what === 'reverted') ? [] : ['waiting']),
        5,
      );
      // play the orphan: an `nft -f` the host started just before it died commits now
      const table = `${runPrefix(started.started)}loss`;
      await w.pair.exec(w.pair.a, 'nft', ['add', 'table', 'netdev', table]);
      await cleanWithin(scopeOf(w, started.started));
      expect(
        sentinelLog(w.stateDir)
          .filter((l) => l.what === 'reverted-again')
          .map((l) => l.id),
      ).toContain(`${started.started}:loss:0`);
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

  it.skipIf(!chattrWorks)(
    'a revert that cannot succeed: revert_failed names the command, verdict Error, the rest reverted; retryFailed finishes it',
    async () => {
      await withWorld(async (w) => {
        const rt = await createRuntime({
          packs: [linuxPack, probesPack],
          stateDir: w.stateDir,
          sentinel: false,
          retry: { backoffMs: 10 },
        });
        let fill = '';
        try {
          const run = rt.run(
            experiment('a fill that cannot be deleted')
              .parallel(
                [
                  linux.networkLoss({
                    percent: 50,
                    namespace: w.pair.a,
                    interfaces: [w.pair.vethA],
                    destinationIps: [w.pair.ipB],
                  }),
                  { id: 'loss', duration: '500ms' },
                ],
                [
                  linux.diskFill({ path: w.fillDir, size: '1MiB', safetyFloor: '256MiB' }),
                  { id: 'fill', duration: '500ms' },
                ],
                [linux.processPause({ pids: [w.sleeper.pid!] }), { id: 'pause', duration: '500ms' }],
              )
              .build(),
          );
          run.events.on('fault.injected', (e) => {
            if (e.stepId !== 'fill') return;
            fill = (e.receipt as { files: { path: string }[] }).files[0]!.path;
            // the obstacle: an immutable file, which not even root can delete
            execFileSync('chattr', ['+i', fill]);
          });
          const failed: Array<{ stepId: string; manual: string; error: { message: string } }> = [];
          run.events.on('fault.revert_failed', (e) => failed.push(e));
          const result = await run.result;

          expect(result.verdict).toBe('Error');
          expect(failed.map((f) => f.stepId)).toEqual(['fill']);
          expect(failed[0]!.manual, 'the exact command').toContain(`rm -f ${fill}`);
          expect(failed[0]!.error.message).toMatch(/EPERM|not permitted/);
          const byStep = Object.fromEntries(result.reverts.map((r) => [r.stepId, r.ok]));
          expect(byStep).toEqual({ loss: true, fill: false, pause: true });
          expect(existsSync(fill), 'the fill is still there').toBe(true);
          const scope = { runId: run.id, stateDir: w.stateDir, pair: w.pair, pausePid: w.sleeper.pid! };
          expect(await whatIsLeft(scope), 'everything else was reverted').toEqual([
            `scanLeftovers: file ${runPrefix(run.id)}fill (${fill})`,
            `journal entry ${run.id}:fill:0 is revert_failed`,
          ]);

          const manual = await rt.listManualInterventions();
          expect(manual.map((e) => e.stepId)).toEqual(['fill']);
          expect(manual[0]!.manual).toContain(`rm -f ${fill}`);
          // recovery leaves it for a person until asked to retry
          expect((await rt.recover()).counts.manual).toBe(1);
          expect(existsSync(fill)).toBe(true);

          execFileSync('chattr', ['-i', fill]);
          const again = await rt.recover({ retryFailed: true });
          expect(again.counts.reverted).toBe(1);
          expect(existsSync(fill)).toBe(false);
          expect(await rt.listManualInterventions()).toEqual([]);
        } finally {
          if (fill) spawnSync('chattr', ['-i', fill]);
          await rt.close();
        }
      });
    },
  );

  it('recovery reports what the packs still find on the host, and not what live runs own', async () => {
    await withWorld(async (w) => {
      // chaos no journal here accounts for: made by hand, as a process with another state dir would
      const loss = await faultCtx(
        parseTunables(networkLoss, {
          percent: 50,
          namespace: w.pair.a,
          interfaces: [w.pair.vethA],
          destinationIps: [w.pair.ipB],
        }),
        'stray_loss',
      );
      const pause = {
        ...(await faultCtx(parseTunables(processPause, { pids: [w.sleeper.pid!] }), 'stray_pause')),
        stateDir: w.stateDir,
      };
      const lossReceipt = await networkLoss.inject(loss);
      const pauseReceipt = await processPause.inject(pause);
      try {
        const rt = await createRuntime({
          packs: [linuxPack, probesPack],
          stateDir: w.stateDir,
          sentinel: false,
        });
        const mine = (rt.recovery?.leftovers ?? []).filter(
          (l) => l.name.includes(loss.objectName) || l.name.includes(pause.objectName),
        );
        // the loss is a table and its sink (a down ifb whose alias is the object name)
        expect(mine.map((l) => [l.pack, l.type]).sort()).toEqual([
          ['@faultline/faults-linux', 'ifb'],
          ['@faultline/faults-linux', 'nft-table'],
          ['@faultline/faults-linux', 'paused-process'],
        ]);
        expect(mine.find((l) => l.type === 'nft-table')?.detail).toContain(w.pair.a);
        expect(mine.find((l) => l.type === 'paused-process')?.fix).toBe(`kill -CONT ${w.sleeper.pid}`);

        await networkLoss.revert(lossReceipt, loss);
        await processPause.revert(pauseReceipt, pause);
        const after = await rt.recover();
        expect(
          after.leftovers.filter(
            (l) => l.name.includes(loss.objectName) || l.name.includes(pause.objectName),
          ),
        ).toEqual([]);
        await rt.close();
      } finally {
        await networkLoss.revert(lossReceipt, loss);
        await processPause.revert(pauseReceipt, pause);
      }
    });
  });

  it("a live run's objects are not leftovers", async () => {
    await withWorld(async (w) => {
      const h = startHostChild({ stateDir: w.stateDir, fillDir: w.fillDir, pausePid: w.sleeper.pid! });
      const started = await h.waitFor((l) => 'started' in l, 'the run start');
      await within(30_000, 'both injected', () => (injected(h).length < 2 ? ['waiting'] : []));
      try {
        const rt = await createRuntime({
          packs: [linuxPack, probesPack],
          stateDir: w.stateDir,
          sentinel: false,
        });
        expect(rt.recovery?.counts.owned).toBe(2);
        const prefix = runPrefix(started.started);
        expect(rt.recovery?.leftovers.filter((l) => `${l.name} ${l.detail}`.includes(prefix))).toEqual([]);
        await rt.close();
      } finally {
        h.child.kill('SIGTERM');
        await h.exited;
      }
    });
  });
});
