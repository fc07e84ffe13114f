// Which processes a process fault may hit: never faultline's own (its sentinel, its resolvers, a
// runtime with chaos in effect), and never more than the experiment asked for.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createRuntime,
  defaultJournalPath,
  experiment,
  type FaultDefinition,
  FileJournal,
  parseTunables,
} from '@faultline/core';
import { readProcStat } from '@faultline/core/internal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quietRuntime, spawnSleeper, testCtx } from '../../test/helpers.js';
import pack, { linux } from '../index.js';
import { processKill } from '../process-kill.js';
import { processPause } from '../process-pause.js';
import { stateOf } from './proc.js';
import { selectTargets } from './targets.js';

// made in beforeAll, not at import: a collection of the tests (test/collect-tests.mjs) imports this file
let scratch = '';
beforeAll(() => {
  scratch = mkdtempSync('/tmp/flc-targets-');
});
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(scratch, { recursive: true, force: true });
});

/** A process running a script by this name (what faultline's sentinel and resolvers look like in /proc). */
function runScript(name: string): ChildProcess {
  const file = join(scratch, name);
  writeFileSync(file, 'setTimeout(() => {}, 120_000);\n');
  const c = spawn(process.execPath, [file], { stdio: 'ignore' });
  children.push(c);
  return c;
}

const tag = () => `${Math.floor(Math.random() * 1e6) + 5000}`;

describe('process fault targets', () => {
  it("the runtime's real sentinel is never paused or killed, named by pid or matched by name", async () => {
    const stateDir = mkdtempSync('/tmp/flc-targets-state-');
    const s = spawnSleeper();
    const rt = await createRuntime({ packs: [pack], stateDir, signals: false, eventLog: false });
    try {
      // a run starts the sentinel; while it runs, try to pause the sentinel itself
      const run = rt.run(
        experiment('flc sentinel')
          .fault(linux.processPause({ pids: [s.pid] }), { duration: '1500ms' })
          .build(),
      );
      await new Promise<void>((r) => run.events.on('fault.injected', () => r()));
      const sentinel = rt.sentinelPid!;
      expect(sentinel).toBeGreaterThan(0);
      const faults: FaultDefinition<any, any>[] = [processPause, processKill];
      for (const fault of faults) {
        const ctx = testCtx('guard', parseTunables(fault, { pids: [sentinel] }), stateDir);
        await expect(fault.inject(ctx)).rejects.toMatchObject({
          code: 'FL_TUNABLES',
          message: expect.stringMatching(new RegExp(`${sentinel} \\(faultline's sentinel\\)`)),
        });
      }
      // `node` matches many processes here; the sentinel and this process are never among them
      const nodes = await selectTargets({ names: ['node'], maxTargets: 1000 }, { kind: 'k', stateDir });
      expect(nodes.map((p) => p.pid)).not.toContain(sentinel);
      expect(nodes.map((p) => p.pid)).not.toContain(process.pid);
      expect(stateOf({ pid: sentinel, startTime: readProcStat(sentinel)!.startTime })).not.toBe('T');
      expect((await run.result).verdict).not.toBe('Error');
    } finally {
      await rt.close();
      await s.stop();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it("faultline's DNS resolvers and a runtime with chaos in effect (its journal says so) are protected too", async () => {
    const resolver = runScript('resolver-server.mjs');
    const other = spawnSleeper();
    const stateDir = mkdtempSync('/tmp/flc-targets-state-');
    try {
      await new Promise((r) => setTimeout(r, 100));
      await expect(
        selectTargets({ pids: [resolver.pid!] }, { kind: 'linux/process-kill', stateDir }),
      ).rejects.toThrow(/DNS fault's resolver/);
      // another runtime's process, with an unfinished journal entry in this state dir
      const journal = await FileJournal.open(defaultJournalPath(stateDir));
      const now = new Date().toISOString();
      await journal.begin({
        id: 'flcother:s:0',
        runId: 'flcother',
        stepId: 's',
        iteration: 0,
        kind: 'linux/cpu-stress',
        pack: '@faultline/faults-linux',
        tunables: {},
        objectName: 'faultline_flcother_s',
        state: 'active',
        bootId: 'b',
        pid: other.pid,
        pidStart: readProcStat(other.pid)!.startTime,
        createdAt: now,
        updatedAt: now,
      });
      await journal.close();
      await expect(selectTargets({ pids: [other.pid] }, { kind: 'k', stateDir })).rejects.toThrow(
        /a faultline runtime with chaos in effect/,
      );
      // elsewhere (another state dir) it is an ordinary process
      expect(
        (await selectTargets({ pids: [other.pid] }, { kind: 'k', stateDir: scratch })).map((p) => p.pid),
      ).toEqual([other.pid]);
    } finally {
      await other.stop();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('a selector matching more processes than maxTargets is refused before anything is signalled', async () => {
    const t = tag();
    const sleepers = [spawnSleeper(Number(t)), spawnSleeper(Number(t)), spawnSleeper(Number(t))];
    try {
      const ctx = testCtx('cap', parseTunables(processPause, { pattern: `^sleep ${t}$` }));
      await expect(processPause.inject(ctx)).rejects.toMatchObject({
        code: 'FL_INJECT',
        message: expect.stringMatching(
          /matches 3 processes .* more than maxTargets \(1\); nothing was signalled.*maxTargets: 3/,
        ),
      });
      for (const s of sleepers)
        expect(stateOf({ pid: s.pid, startTime: readProcStat(s.pid)!.startTime })).not.toBe('T');
      // raised on purpose, it takes them all
      const all = testCtx('cap', parseTunables(processPause, { pattern: `^sleep ${t}$`, maxTargets: 3 }));
      const r = await processPause.inject(all);
      expect(r.targets.map((p) => p.pid).sort()).toEqual(sleepers.map((s) => s.pid).sort());
      await processPause.revert(r, all);
      expect(await processPause.present!(r, all)).toBe(false);
    } finally {
      for (const s of sleepers) await s.stop();
    }
  });

  it("names: ['node'] and pattern '.' are refused by the cap; a pattern matching the empty string by the schema", async () => {
    // two node processes of this test's own at least, besides whatever else runs here
    runScript('a.js');
    runScript('b.js');
    await new Promise((r) => setTimeout(r, 100));
    await expect(selectTargets({ names: ['node'] }, { kind: 'linux/process-kill' })).rejects.toThrow(
      /names node matches \d+ processes/,
    );
    await expect(selectTargets({ pattern: '.' }, { kind: 'linux/process-pause' })).rejects.toThrow(
      /pattern \/\.\/ matches \d+ processes/,
    );
    for (const pattern of ['.*', 'x?', '^']) {
      expect(() => parseTunables(processKill, { pattern }), pattern).toThrow(/matches the empty string/);
    }
  });

  it('a run whose process fault matches too much ends Error, with nothing paused', async () => {
    const stateDir = mkdtempSync('/tmp/flc-targets-state-');
    const t = tag();
    const sleepers = [spawnSleeper(Number(t)), spawnSleeper(Number(t))];
    const { runtime, probes } = await quietRuntime(stateDir);
    try {
      const result = await runtime.run(
        experiment('flc too many')
          .fault(linux.processPause({ pattern: `^sleep ${t}$` }), {
            duration: '200ms',
            healthCheck: false,
            probes,
          })
          .build(),
      ).result;
      expect(result.verdict).toBe('Error');
      expect(result.faults[0]?.error?.message).toMatch(/matches 2 processes/);
      for (const s of sleepers)
        expect(stateOf({ pid: s.pid, startTime: readProcStat(s.pid)!.startTime })).not.toBe('T');
    } finally {
      await runtime.close();
      for (const s of sleepers) await s.stop();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
