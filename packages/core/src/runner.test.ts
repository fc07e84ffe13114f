import { existsSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { injected, tempDir, testRuntime } from '../test/helpers.js';
import { fixed, flakyRevert, pathExists, touchFiles } from '../test/pack.js';
import {
  experiment,
  FaultlineError,
  type FaultlineEvent,
  faultRef,
  isFaultlineError,
  MemoryJournal,
} from './index.js';

const pass = (name = 'ok', mode: 'SOT' | 'EOT' | 'Edge' | 'Continuous' | 'OnChaos' = 'Edge') => ({
  name,
  kind: fixed.kind,
  tunables: { pass: true },
  mode,
});

describe.concurrent('runner', () => {
  it('injects, keeps the fault for its duration, reverts, and streams ordered events', async () => {
    const dir = await tempDir();
    const rt = await testRuntime();
    const spec = experiment('files')
      .fault(faultRef(touchFiles, { dir, count: 3 }), {
        id: 'files',
        duration: '300ms',
        probes: [
          {
            name: 'during',
            kind: 'test/count-files',
            tunables: { dir, atLeast: 3 },
            mode: 'OnChaos',
            runProperties: { pollingInterval: '50ms' },
          },
        ],
      })
      .build();
    const run = rt.run(spec);
    const seen: FaultlineEvent[] = [];
    run.events.on('*', (e) => seen.push(e));
    const result = await run.result;
    expect(result.verdict).toBe('Pass');
    expect(result.score).toBe(100);
    expect(injected(dir, run.id, 'files')).toBe(false);
    expect(seen.map((e) => e.seq)).toEqual(seen.map((_, i) => i + 1));
    const types = seen.map((e) => e.type);
    expect(types[0]).toBe('run.started');
    expect(types.at(-1)).toBe('run.finished');
    expect(types.indexOf('fault.injected')).toBeLessThan(types.indexOf('fault.reverted'));
    const during = seen.filter((e) => e.type === 'probe.result' && e.probe === 'during');
    expect(during.length).toBeGreaterThanOrEqual(3); // 300 ms at 50 ms
    expect(during.every((e) => e.type === 'probe.result' && e.passed)).toBe(true);
    const entries = await rt.journal.pending();
    expect(entries).toEqual([]);
  });

  it('a parallel group injects together (overlapping in time) and reverts together', async () => {
    const dir = await tempDir();
    const rt = await testRuntime();
    const spec = experiment('par')
      .parallel(
        [faultRef(touchFiles, { dir, count: 5, injectDelayMs: 200 }), { id: 'a', duration: '100ms' }],
        [faultRef(touchFiles, { dir, count: 5, injectDelayMs: 200 }), { id: 'b', duration: '100ms' }],
        [faultRef(touchFiles, { dir, count: 5, injectDelayMs: 200 }), { id: 'c', duration: '100ms' }],
      )
      .build();
    const run = rt.run(spec);
    const t: Record<string, { start: number; end: number }> = {};
    run.events.on('fault.injecting', (e) => (t[e.stepId] = { start: performance.now(), end: 0 }));
    run.events.on('fault.injected', (e) => (t[e.stepId]!.end = performance.now()));
    const r = await run.result;
    expect(r.verdict).toBe('Pass');
    const latestStart = Math.max(...Object.values(t).map((x) => x.start));
    const earliestEnd = Math.min(...Object.values(t).map((x) => x.end));
    expect(latestStart, 'every inject started before any finished').toBeLessThan(earliestEnd);
    for (const id of ['a', 'b', 'c']) expect(injected(dir, run.id, id)).toBe(false);
  });

  it('abort during inject reverts the partial inject', async () => {
    const dir = await tempDir();
    const rt = await testRuntime();
    const spec = experiment('abort')
      .fault(faultRef(touchFiles, { dir, count: 20, injectDelayMs: 10_000 }), {
        id: 'slow',
        duration: '5s',
        probes: [pass()],
      })
      .build();
    const run = rt.run(spec);
    run.events.on('fault.injecting', () => setTimeout(() => run.abort('operator said stop'), 150));
    let sawFiles = 0;
    run.events.on('run.aborting', async () => {
      sawFiles = (await readdir(dir, { recursive: true })).length;
    });
    const r = await run.result;
    expect(r.verdict).toBe('Aborted');
    expect(r.abortReason).toBe('operator said stop');
    expect(sawFiles, 'the inject had written files when aborted').toBeGreaterThan(0);
    expect(await readdir(dir), 'the partial inject was reverted').toEqual([]);
    expect(r.reverts).toHaveLength(1);
    expect(r.reverts[0]!.ok).toBe(true);
    expect(r.durationMs).toBeLessThan(4000); // the whole inject would take 10 s
  });

  it('an AbortSignal already aborted injects nothing', async () => {
    const dir = await tempDir();
    const journal = new MemoryJournal();
    const rt = await testRuntime({ journal });
    const ac = new AbortController();
    ac.abort(new Error('cancelled before start'));
    const run = rt.run(experiment('x').fault(faultRef(touchFiles, { dir }), { duration: '1s' }).build(), {
      signal: ac.signal,
    });
    const r = await run.result;
    expect(r.verdict).toBe('Aborted');
    expect(r.faults[0]!.status).toBe('skipped');
    expect(await readdir(dir)).toEqual([]);
    expect(run.events.snapshot().some((e) => e.type === 'fault.injecting')).toBe(false);
    expect(await journal.get(`${run.id}:touch-files:0`)).toBeUndefined();
  });

  it.each([
    ['no reason', undefined],
    // a reason that is a FaultlineError keeps its code (an agent's lease expiry: FL_LINK_LOST)
    ['a FaultlineError', new FaultlineError('FL_LINK_LOST', 'lease expired')],
  ])('an AbortSignal that fires during the window reverts and ends Aborted (%s)', async (_, reason) => {
    const dir = await tempDir();
    const rt = await testRuntime();
    const ac = new AbortController();
    const run = rt.run(
      experiment('x').fault(faultRef(touchFiles, { dir }), { id: 'f', duration: '10s' }).build(),
      { signal: ac.signal },
    );
    run.events.on('fault.injected', () => setTimeout(() => ac.abort(reason), 50));
    const r = await run.result;
    expect(r.verdict).toBe('Aborted');
    expect(r.durationMs).toBeLessThan(5000); // the window is 10 s; slack for a busy CI loop
    expect(injected(dir, run.id, 'f')).toBe(false);
    const aborting = run.events.snapshot().find((e) => e.type === 'run.aborting');
    if (reason) {
      expect(r.error).toEqual({ code: 'FL_LINK_LOST', message: 'FL_LINK_LOST: lease expired' });
      expect(aborting).toMatchObject({ code: 'FL_LINK_LOST', reason: 'FL_LINK_LOST: lease expired' });
    } else {
      expect([r.error, aborting && 'code' in aborting]).toEqual([undefined, false]);
    }
  });

  it('a revert that fails twice then succeeds is retried to success', async () => {
    const dir = await tempDir();
    const rt = await testRuntime();
    const run = rt.run(
      experiment('flaky')
        .fault(faultRef(flakyRevert, { dir, failTimes: 2 }), {
          id: 'flaky',
          duration: '50ms',
          probes: [pass()],
        })
        .build(),
    );
    const r = await run.result;
    expect(r.verdict).toBe('Pass');
    expect(r.reverts[0]).toMatchObject({ ok: true, attempts: 3 });
    expect(run.events.snapshot().filter((e) => e.type === 'fault.reverting')).toHaveLength(3);
    expect((await readdir(dir)).filter((f) => f.endsWith('.marker'))).toEqual([]);
  });

  it('a revert that always fails ends revert_failed with the manual text, verdict Error, and other faults still reverted', async () => {
    const dir = await tempDir();
    const other = await tempDir();
    await writeFile(join(dir, 'stuck'), '');
    const journal = new MemoryJournal();
    const rt = await testRuntime({ journal });
    const run = rt.run(
      experiment('stuck')
        .parallel(
          [faultRef(flakyRevert, { dir }), { id: 'stuck', duration: '50ms', probes: [pass()] }],
          [faultRef(touchFiles, { dir: other }), { id: 'fine', duration: '50ms' }],
        )
        .build(),
    );
    const r = await run.result;
    expect(r.verdict).toBe('Error');
    const failed = run.events.snapshot().find((e) => e.type === 'fault.revert_failed');
    expect(failed?.type === 'fault.revert_failed' && failed.manual).toMatch(
      /^rm -f '.*faultline_.*_stuck\.marker'$/,
    );
    const entry = await journal.get(`${run.id}:stuck:0`);
    expect(entry?.state).toBe('revert_failed');
    expect(entry?.manual).toContain('rm -f');
    expect(entry?.error?.message).toContain('stuck');
    expect(await rt.listManualInterventions()).toHaveLength(1);
    expect(injected(other, run.id, 'fine')).toBe(false);
    expect(r.faults.find((f) => f.stepId === 'stuck')?.status).toBe('errored');
  });

  it('an inject that fails errors the fault, reverts what it applied, and the run goes on', async () => {
    const dir = await tempDir();
    const marker = join(dir, 'boom');
    await writeFile(marker, '');
    const rt = await testRuntime();
    const run = rt.run(
      experiment('err')
        .fault(faultRef(touchFiles, { dir, failIfExists: marker }), {
          id: 'bad',
          weight: 5,
          duration: '50ms',
        })
        .fault(faultRef(touchFiles, { dir }), { id: 'good', weight: 5, duration: '50ms' })
        .build(),
    );
    const r = await run.result;
    expect(r.verdict).toBe('Error');
    expect(r.faults.map((f) => f.status)).toEqual(['errored', 'completed']);
    expect(r.score).toBe(50);
    expect(injected(dir, run.id, 'bad')).toBe(false);
  });

  it('interval re-injects during the window, each injection its own journal entry, all reverted', async () => {
    const dir = await tempDir();
    const rt = await testRuntime();
    const run = rt.run(
      experiment('rhythm')
        .fault(faultRef(touchFiles, { dir }), { id: 'r', duration: '500ms', interval: '100ms' })
        .build(),
    );
    const r = await run.result;
    expect(r.faults[0]!.injections).toBeGreaterThanOrEqual(4);
    expect(r.reverts.length).toBe(r.faults[0]!.injections);
    expect(await readdir(dir)).toEqual([]);
  });

  it('probes run per mode: SOT before inject, EOT after revert, Edge both, OnChaos only while in effect', async () => {
    const dir = await tempDir();
    const rt = await testRuntime();
    const run = rt.run(
      experiment('modes')
        .fault(faultRef(touchFiles, { dir }), {
          id: 'm',
          duration: '200ms',
          healthCheck: false,
          probes: [
            pass('sot', 'SOT'),
            pass('eot', 'EOT'),
            pass('edge', 'Edge'),
            pass('chaos', 'OnChaos'),
            pass('cont', 'Continuous'),
          ].map((p) => ({
            ...p,
            runProperties: { pollingInterval: '50ms' },
          })),
        })
        .build(),
    );
    const r = await run.result;
    const evs = run.events.snapshot();
    const at = (pred: (e: FaultlineEvent) => boolean) => evs.filter(pred).map((e) => e.seq);
    const injectedSeq = at((e) => e.type === 'fault.injected')[0]!;
    const revertedSeq = at((e) => e.type === 'fault.reverted')[0]!;
    const probe = (name: string) => at((e) => e.type === 'probe.result' && e.probe === name);
    expect(probe('sot')).toHaveLength(1);
    expect(probe('sot')[0]).toBeLessThan(injectedSeq);
    expect(probe('eot')).toHaveLength(1);
    expect(probe('eot')[0]).toBeGreaterThan(revertedSeq);
    expect(probe('edge')).toHaveLength(2);
    expect(probe('chaos').length).toBeGreaterThanOrEqual(3);
    expect(probe('chaos').every((s) => s > injectedSeq && s < revertedSeq)).toBe(true);
    expect(probe('cont').length).toBeGreaterThan(probe('chaos').length);
    expect(r.probes).toHaveLength(5);
    expect(r.verdict).toBe('Pass');
  });

  it('a hung probe fails at its timeout instead of hanging the run; attempts retry', async () => {
    const dir = await tempDir();
    const rt = await testRuntime();
    const t0 = performance.now();
    const run = rt.run(
      experiment('hang')
        .fault(faultRef(touchFiles, { dir }), {
          id: 'h',
          duration: '50ms',
          healthCheck: false,
          probes: [
            {
              name: 'hung',
              kind: fixed.kind,
              tunables: { pass: true, delayMs: 60_000 },
              mode: 'SOT',
              runProperties: { timeout: '150ms', attempts: 2, interval: '50ms' },
            },
          ],
        })
        .build(),
    );
    const r = await run.result;
    expect(performance.now() - t0).toBeLessThan(5000); // the probe hangs 60 s; slack for a busy CI loop
    expect(r.verdict).toBe('Fail');
    expect(r.probes[0]).toMatchObject({ passed: false, runs: 1, failures: 1 });
    expect(r.probes[0]!.message).toMatch(/timed out after 150ms/);
    expect(run.events.snapshot().filter((e) => e.type === 'probe.result')).toHaveLength(2);
    expect(r.score).toBe(0);
  });

  it('stopOnFailure stops the run, skips the rest, and still reverts', async () => {
    const dir = await tempDir();
    const rt = await testRuntime();
    const run = rt.run(
      experiment('stop')
        .fault(faultRef(touchFiles, { dir }), {
          id: 'first',
          duration: '5s',
          healthCheck: false,
          probes: [
            {
              name: 'gate',
              kind: pathExists.kind,
              tunables: { path: join(dir, 'nope') },
              mode: 'OnChaos',
              runProperties: { stopOnFailure: true, pollingInterval: '50ms' },
            },
          ],
        })
        .fault(faultRef(touchFiles, { dir }), { id: 'second', duration: '50ms' })
        .build(),
    );
    const r = await run.result;
    expect(r.verdict).toBe('Fail');
    expect(r.error?.code).toBe('FL_PROBE');
    expect(r.durationMs).toBeLessThan(4000); // the window is 5 s; slack for a busy CI loop
    expect(r.faults.map((f) => f.status)).toEqual(['aborted', 'skipped']);
    expect(await readdir(dir)).toEqual([]);
  });

  it('the healthCheck probe is added in Edge mode unless healthCheck is false', async () => {
    const dir = await tempDir();
    const rt = await testRuntime();
    const r = await rt.run(
      experiment('hc').fault(faultRef(touchFiles, { dir }), { duration: '10ms' }).build(),
    ).result;
    expect(r.probes).toEqual([
      expect.objectContaining({ probe: 'dir exists', mode: 'Edge', runs: 2, passed: true }),
    ]);
  });

  it('bad input throws before anything is journaled or injected', async () => {
    const dir = await tempDir();
    const journal = new MemoryJournal();
    const rt = await testRuntime({ journal });
    const good = experiment('x').fault(faultRef(touchFiles, { dir }), { id: 'f', duration: '1s' }).build();
    const bad = (mutate: (s: any) => void) => {
      const s = structuredClone(good);
      mutate(s);
      return s;
    };
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return isFaultlineError(e) ? e.code : `not a FaultlineError: ${e}`;
      }
      return 'did not throw';
    };
    expect(code(() => rt.run(bad((s) => (s.spec.steps[0].faults[0].kind = 'test/nope'))))).toBe(
      'FL_UNKNOWN_KIND',
    );
    expect(code(() => rt.run(bad((s) => (s.spec.steps[0].faults[0].tunables.count = 5000))))).toBe(
      'FL_TUNABLES',
    );
    expect(code(() => rt.run(bad((s) => (s.spec.steps[0].faults[0].duration = '5 parsecs'))))).toBe(
      'FL_SPEC',
    );
    expect(code(() => rt.run(bad((s) => (s.apiVersion = 'faultline/v0'))))).toBe('FL_SPEC');
    expect(code(() => rt.run(bad((s) => (s.spec.steps[0].faults[0].healthCheck = false))))).toBe('FL_SPEC');
    expect(code(() => faultRef(touchFiles, { dir, count: -1 }))).toBe('FL_TUNABLES');
    expect(await journal.pending()).toEqual([]);
    expect(await readdir(dir)).toEqual([]);
    expect(existsSync(dir)).toBe(true);
  });
});
