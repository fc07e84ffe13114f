import { mkdtemp, rm } from 'node:fs/promises';
import { experiment, parseTunables } from '@faultline/core';
import { faultContract } from '@faultline/core/testing';
import { describe, expect, it } from 'vitest';
import { quietRuntime, spawnSleeper, testCtx, until } from '../test/helpers.js';
import { readCmdline } from './host/proc.js';
import { findTargets, protection } from './host/targets.js';
import { linux } from './index.js';
import { processKill } from './process-kill.js';

faultContract(processKill, {
  pack: '@faultline/faults-linux',
  setup: async () => {
    const s = spawnSleeper();
    return { tunables: { pids: [s.pid] }, cleanup: s.stop };
  },
});

describe('linux/process-kill', () => {
  it('kills the target by a command-line pattern, and a respawn at the next interval (iteration)', async () => {
    // a unique argument makes the pattern match only our children
    const tag = `${Math.floor(Math.random() * 1e6) + 1000}`;
    const a = spawnSleeper(Number(tag));
    let b: ReturnType<typeof spawnSleeper> | undefined;
    try {
      const t = parseTunables(processKill, { pattern: `^sleep ${tag}$` });
      const ctx = testCtx('kill', t);
      const r1 = await processKill.inject(ctx);
      expect(r1.killed.map((p) => p.pid)).toEqual([a.pid]);
      expect(await until(() => a.child.signalCode === 'SIGTERM')).toBe(true);
      b = spawnSleeper(Number(tag)); // what a supervisor does
      const r2 = await processKill.inject({ ...ctx, iteration: 1 });
      expect(r2.killed.map((p) => p.pid)).toEqual([b.pid]);
      expect(await until(() => b!.child.signalCode === 'SIGTERM')).toBe(true);
      // nothing left to kill: a later interval warns instead of failing
      const r3 = await processKill.inject({ ...ctx, iteration: 2 });
      expect(r3.killed).toEqual([]);
      await processKill.revert(r1, ctx); // honest no-op
      expect(processKill.manual(r1, ctx)).toMatch(/nothing to revert/);
    } finally {
      await a.stop();
      await b?.stop();
    }
  });

  it('force sends SIGKILL', async () => {
    const s = spawnSleeper();
    try {
      const ctx = testCtx('kill', parseTunables(processKill, { pids: [s.pid], force: true }));
      const r = await processKill.inject(ctx);
      expect(r.signal).toBe('SIGKILL');
      expect(await until(() => s.child.signalCode === 'SIGKILL')).toBe(true);
      expect(r.exited).toEqual([s.pid]);
    } finally {
      await s.stop();
    }
  });

  it('fails the first injection when nothing matches, and never targets faultline itself', async () => {
    const ctx = testCtx('kill', parseTunables(processKill, { pattern: '^no-such-process-flc-[0-9]+$' }));
    await expect(processKill.inject(ctx)).rejects.toMatchObject({ code: 'FL_INJECT' });
    const self = testCtx('kill', parseTunables(processKill, { pids: [process.pid] }));
    await expect(processKill.inject(self)).rejects.toMatchObject({ code: 'FL_TUNABLES' });
    // a pattern that matches this very process still spares it (resolved only: nothing is signalled)
    const mine = readCmdline(process.pid)!;
    expect(
      findTargets(
        { pattern: `^${mine.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$` },
        await protection(undefined),
      ).map((p) => p.pid),
    ).not.toContain(process.pid);
    for (const t of [{ signal: 'SIGSTOP', pids: [5] }, { pids: [0] }, { pattern: '' }]) {
      expect(() => parseTunables(processKill, t), JSON.stringify(t)).toThrow(/FL_TUNABLES/);
    }
  });
});

describe('linux/process-kill with a step interval', () => {
  it('the runner kills the respawned process again at each interval', { timeout: 60_000 }, async () => {
    const tag = `${Math.floor(Math.random() * 1e6) + 2000}`;
    // a tiny supervisor: respawns the sleeper each time it dies
    const killedPids: number[] = [];
    let current = spawnSleeper(Number(tag));
    let stopping = false;
    const watch = (s: ReturnType<typeof spawnSleeper>) =>
      s.child.once('exit', () => {
        killedPids.push(s.pid);
        if (!stopping) {
          current = spawnSleeper(Number(tag));
          watch(current);
        }
      });
    watch(current);
    const stateDir = await mkdtemp('/tmp/flc-rt-');
    const { runtime, probes } = await quietRuntime(stateDir);
    try {
      const spec = experiment('flc respawn')
        .fault(linux.processKill({ pattern: `^sleep ${tag}$` }), {
          duration: '1s',
          interval: '300ms',
          healthCheck: false,
          probes,
        })
        .build();
      const result = await runtime.run(spec).result;
      expect(result.error).toBeUndefined();
      expect(killedPids.length).toBeGreaterThanOrEqual(3); // first injection + at least two intervals
      expect(new Set(killedPids).size).toBe(killedPids.length); // each time a new process
    } finally {
      stopping = true;
      await runtime.close();
      await current.stop();
      await rm(stateDir, { recursive: true, force: true });
    }
  });
});
