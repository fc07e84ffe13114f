import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { parseTunables } from '@faultline/core';
import { faultContract } from '@faultline/core/testing';
import { describe, expect, it } from 'vitest';
import { leftoversOf, spawnSleeper, testCtx, until } from '../test/helpers.js';
import { refOf, stateOf } from './host/proc.js';
import { pauseRecordPath, processPause } from './process-pause.js';

const stopped = (pid: number) => {
  const ref = refOf(pid);
  return ref !== undefined && stateOf(ref) === 'T';
};

faultContract(processPause, {
  pack: '@faultline/faults-linux',
  setup: async () => {
    const s = spawnSleeper();
    return { tunables: { pids: [s.pid] }, cleanup: s.stop };
  },
  inEffect: async (receipt) => {
    const pid = (receipt as { targets: { pid: number }[] }).targets[0]!.pid;
    expect(stopped(pid)).toBe(true);
  },
});

faultContract(processPause, {
  pack: '@faultline/faults-linux',
  setup: async () => {
    const s = spawnSleeper();
    return { tunables: { pids: [s.pid], method: 'freezer' as const }, cleanup: s.stop };
  },
});

describe('linux/process-pause', () => {
  it('method freezer: the target sits frozen in our group, revert thaws it and puts it back where it was', async () => {
    const stateDir = await mkdtemp('/tmp/flc-state-');
    const s = spawnSleeper();
    const cg = () => readFileSync(`/proc/${s.pid}/cgroup`, 'utf8');
    try {
      const before = cg();
      const ctx = testCtx(
        'pause',
        parseTunables(processPause, { pids: [s.pid], method: 'freezer' }),
        stateDir,
      );
      const r = await processPause.inject(ctx);
      try {
        expect(cg()).toContain(ctx.objectName);
        expect(await processPause.present!(r, ctx)).toBe(true);
        expect(readFileSync(`${r.freezer!.dir}/cgroup.procs`, 'utf8').trim()).toBe(String(s.pid));
        const found = await leftoversOf([ctx.objectName], { stateDir });
        expect(found.map((l) => l.type)).toEqual(['frozen-cgroup']);
        expect(found[0]!.fix).not.toMatch(/kill -9/); // a paused user process is thawed, never killed
      } finally {
        await processPause.revert(r, ctx);
      }
      expect(cg()).toBe(before);
      expect(existsSync(r.freezer!.dir)).toBe(false);
      expect(s.child.exitCode).toBe(null); // alive: a pause never kills
      expect(await leftoversOf([ctx.objectName], { stateDir })).toEqual([]);
    } finally {
      await s.stop();
      await rm(stateDir, { recursive: true, force: true });
    }
  });

  it('stops the target (state T), revert resumes it; a SIGTERM sent meanwhile lands after resume', async () => {
    const stateDir = await mkdtemp('/tmp/flc-state-');
    const s = spawnSleeper();
    try {
      const ctx = testCtx('pause', parseTunables(processPause, { pids: [s.pid] }), stateDir);
      const r = await processPause.inject(ctx);
      try {
        expect(stopped(s.pid)).toBe(true);
        expect(existsSync(pauseRecordPath(stateDir, ctx.objectName))).toBe(true);
        expect(await leftoversOf([ctx.objectName], { stateDir })).toHaveLength(1);
        s.child.kill('SIGTERM'); // stays pending while stopped
        await new Promise((res) => setTimeout(res, 100));
        expect(stopped(s.pid)).toBe(true);
      } finally {
        await processPause.revert(r, ctx);
      }
      expect(await until(() => s.child.signalCode === 'SIGTERM')).toBe(true);
      expect(await leftoversOf([ctx.objectName], { stateDir })).toEqual([]);
    } finally {
      await s.stop();
      await rm(stateDir, { recursive: true, force: true });
    }
  });

  it('a receipt-less revert resumes what the record names', async () => {
    const stateDir = await mkdtemp('/tmp/flc-state-');
    const s = spawnSleeper(60, 'sleep');
    try {
      const ctx = testCtx(
        'pause',
        parseTunables(processPause, { names: ['sleep'], pids: undefined }),
        stateDir,
      );
      // names would match every sleep on the host: aim at ours through a pid list instead
      const ctxPid = { ...ctx, tunables: parseTunables(processPause, { pids: [s.pid] }) };
      await processPause.inject(ctxPid);
      expect(stopped(s.pid)).toBe(true);
      await processPause.revert(undefined, ctxPid);
      expect(stopped(s.pid)).toBe(false);
      expect(await processPause.present!(undefined, ctxPid)).toBe(false);
    } finally {
      await s.stop();
      await rm(stateDir, { recursive: true, force: true });
    }
  });

  it('never signals a recycled pid: the start time must match', async () => {
    const s = spawnSleeper();
    try {
      const ctx = testCtx('pause', parseTunables(processPause, { pids: [s.pid] }));
      const fake = {
        targets: [{ pid: s.pid, startTime: '1', comm: 'sleep' }],
        method: 'signal' as const,
        freezer: null,
      };
      await processPause.revert(fake, ctx); // no throw, no signal
      expect(await processPause.present!(fake, ctx)).toBe(false);
    } finally {
      await s.stop();
    }
  });

  it('refuses PID 1, itself, and ambiguous or bad selectors', async () => {
    const ctx = testCtx('pause', parseTunables(processPause, { pids: [process.pid] }));
    await expect(processPause.inject(ctx)).rejects.toMatchObject({ code: 'FL_TUNABLES' });
    for (const t of [
      {},
      { pids: [1] },
      { pids: [5], names: ['x'] },
      { pattern: '(' },
      { names: ['a;rm -rf /'] },
    ]) {
      expect(() => parseTunables(processPause, t), JSON.stringify(t)).toThrow(/FL_TUNABLES/);
    }
  });
});
