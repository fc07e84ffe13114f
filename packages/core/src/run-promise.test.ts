// The promise, whatever fails: run.result resolves with a verdict, run.finished is emitted once and
// last, iterators end, nothing rejects unhandled, nothing is injected after the run ended, and every
// fault that was injected is reverted.
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, testRuntime } from '../test/helpers.js';
import { fixed, flakyRevert, touchFiles } from '../test/pack.js';
import { type ExperimentSpec, experiment, type FaultlineEvent, faultRef, MemoryJournal } from './index.js';
import { type FailingJournal, type FailPlan, failingJournal } from './testing/failing-journal.js';

const unhandled: unknown[] = [];
const onUnhandled = (e: unknown) => unhandled.push(e);
beforeAll(() => void process.on('unhandledRejection', onUnhandled));
afterAll(() => void process.off('unhandledRejection', onUnhandled));

const pass = { name: 'ok', kind: fixed.kind, tunables: { pass: true }, mode: 'Edge' as const };

/** Runs `spec` on a failing journal and checks the promise; returns what the run did. */
async function runAndCheck(spec: ExperimentSpec, journal: FailingJournal, dir: string) {
  const rt = await testRuntime({ journal });
  const run = rt.run(spec);
  const iterated: FaultlineEvent[] = [];
  const iterating = (async () => {
    for await (const e of run.events) iterated.push(e);
  })();
  let finishedAt = 0;
  run.events.on('run.finished', () => (finishedAt = performance.now()));
  const result = await Promise.race([
    run.result,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('run.result hangs')), 15_000)),
  ]);
  await Promise.race([
    iterating,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the iterator hangs')), 2_000)),
  ]);
  const events = run.events.snapshot();
  expect(['Pass', 'Fail', 'Error', 'Aborted']).toContain(result.verdict);
  expect(events.filter((e) => e.type === 'run.finished')).toHaveLength(1);
  expect(events.at(-1)?.type).toBe('run.finished');
  expect(iterated.map((e) => e.seq)).toEqual(events.map((e) => e.seq));
  // longer than any ramp of these specs: a late sibling would have injected by now
  await new Promise((r) => setTimeout(r, 400));
  const lateBegins = journal.calls.filter((c) => c.method === 'begin' && c.at > finishedAt);
  expect(lateBegins, 'nothing is journaled (so nothing injected) after run.finished').toEqual([]);
  expect(run.events.snapshot()).toHaveLength(events.length);
  const left = (await readdir(dir)).filter((f) => f.startsWith('faultline_') && !f.endsWith('.reverts'));
  expect(left, 'every fault that was injected is reverted').toEqual([]);
  await rt.close();
  return { result, events };
}

describe.concurrent('the promise when the journal fails', () => {
  it('a failed `reverted` update after a successful revert: the revert stands (one attempt), the failure is reported', async () => {
    const dir = await tempDir();
    const journal = failingJournal(
      new MemoryJournal(),
      (c) => c.method === 'update' && c.patch?.state === 'reverted',
    );
    const { result, events } = await runAndCheck(
      experiment('reverted not recorded')
        .fault(faultRef(touchFiles, { dir }), { id: 'a', duration: '50ms', probes: [pass] })
        .build(),
      journal,
      dir,
    );
    expect(result.reverts).toEqual([
      expect.objectContaining({ stepId: 'a', ok: true, attempts: 1, journalError: expect.any(Object) }),
    ]);
    expect(journal.calls.filter((c) => c.patch?.state === 'reverted')).toHaveLength(1);
    expect(events.map((e) => e.type)).toContain('fault.reverted');
    const warned = events.filter((e) => e.type === 'log' && /journal/.test(e.message));
    expect(warned.length, 'the journal failure is in the events').toBeGreaterThanOrEqual(1);
    expect(result.verdict).toBe('Pass');
  });

  it('a revert that fails for good while the journal refuses `revert_failed`: result resolves, verdict Error, manual commands in the event', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'stuck'), '');
    const journal = failingJournal(new MemoryJournal(), (c) => c.patch?.state === 'revert_failed');
    const { result, events } = await runAndCheck(
      experiment('stuck')
        .fault(faultRef(flakyRevert, { dir }), { id: 's', duration: '20ms', probes: [pass] })
        .build(),
      journal,
      // the marker stays (that revert really failed): look elsewhere for leftovers
      await tempDir(),
    );
    expect(result.verdict).toBe('Error');
    expect(result.reverts[0]).toMatchObject({ ok: false, manual: expect.stringContaining('rm -f') });
    expect(result.reverts[0]?.journalError?.message).toMatch(/injected failure/);
    expect(events.find((e) => e.type === 'fault.revert_failed')).toBeDefined();
  });

  it('a parallel sibling never injects after run.finished when another fault of the group fails in the runner', async () => {
    const dir = await tempDir();
    const journal = failingJournal(
      new MemoryJournal(),
      (c) => c.method === 'begin' && c.id.includes(':bad:'),
    );
    const { result, events } = await runAndCheck(
      experiment('sibling')
        .parallel(
          [faultRef(touchFiles, { dir }), { id: 'bad', duration: '1s' }],
          [faultRef(touchFiles, { dir }), { id: 'late', duration: '1s', rampTime: '200ms' }],
        )
        .build(),
      journal,
      dir,
    );
    expect(result.verdict).toBe('Error');
    expect(result.error?.message).toMatch(/injected failure/);
    expect(events.map((e) => e.type)).toContain('run.aborting');
    expect(journal.calls.filter((c) => c.method === 'begin').map((c) => c.id)).toEqual([
      expect.stringContaining(':bad:'),
    ]);
  });
});

/** Every journal write of a clean run of `spec`: how many there are. */
async function cleanWrites(spec: ExperimentSpec, dir: string): Promise<number> {
  const journal = failingJournal(new MemoryJournal(), () => false);
  await runAndCheck(spec, journal, dir);
  return journal.calls.length;
}

describe('the promise holds whichever journal write fails (each N, once and from then on)', async () => {
  const dir = await tempDir();
  const spec = experiment('every write')
    .fault(faultRef(touchFiles, { dir }), { id: 'first', duration: '40ms', probes: [pass] })
    .parallel(
      [faultRef(touchFiles, { dir }), { id: 'ramped', duration: '80ms', rampTime: '60ms' }],
      [faultRef(touchFiles, { dir }), { id: 'rhythm', duration: '120ms', interval: '50ms' }],
    )
    .fault(faultRef(touchFiles, { dir }), { id: 'last', duration: '20ms' })
    .build();
  const writes = await cleanWrites(spec, dir);
  const cases: Array<[number, 'once' | 'from']> = [];
  for (let n = 1; n <= writes + 1; n++) cases.push([n, 'once'], [n, 'from']);

  it('a clean run makes enough writes to be worth it', () => expect(writes).toBeGreaterThanOrEqual(14));

  it.concurrent.each(cases)('write #%i fails (%s)', async (failAt, mode) => {
    const own = await tempDir();
    const plan: FailPlan = { failAt, mode };
    const s = JSON.parse(JSON.stringify(spec).replaceAll(JSON.stringify(dir), JSON.stringify(own)));
    const { result } = await runAndCheck(s, failingJournal(new MemoryJournal(), plan), own);
    if (failAt > writes) expect(result.verdict).toBe('Pass');
    else expect(result.verdict).not.toBe('Aborted');
    expect(unhandled).toEqual([]);
  });
});

it('no unhandled rejection in any of these runs', () => {
  expect(unhandled).toEqual([]);
});
