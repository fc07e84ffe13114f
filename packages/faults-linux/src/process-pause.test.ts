import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { parseTunables } from '@faultline/core';
import { faultContract } from '@faultline/core/testing';
import { describe, expect, it } from 'vitest';
import { refOf, stateOf } from './host/proc.js';
import { leftoversOf, spawnSleeper, testCtx, until } from './host/test-utils.js';
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

describe('linux/process-pause', () => {
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
      const fake = { targets: [{ pid: s.pid, startTime: '1', comm: 'sleep' }] };
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
