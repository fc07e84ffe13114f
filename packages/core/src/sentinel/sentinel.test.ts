import { readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers.js';
import { alive, startHost, within } from '../../test/host.js';
import { defaultJournalPath, FileJournal } from '../index.js';

async function journalStates(stateDir: string): Promise<string[]> {
  const j = await FileJournal.open(defaultJournalPath(stateDir), {
    compactEvery: 0,
    keepRevertedMs: 3_600_000,
  });
  const states = (await j.pending()).map((e) => e.state);
  await j.close();
  return states;
}

describe.concurrent('the sentinel and signal handling, with real host processes', () => {
  it('SIGKILL mid-window: the sentinel reverts from the journal, records it, and exits', async () => {
    const [stateDir, dir] = [await tempDir(), await tempDir()];
    const host = startHost(stateDir, dir, { sentinel: true });
    const { sentinel } = await host.waitFor('injected');
    expect(alive(sentinel), 'a sentinel watches while the run is active').toBe(true);
    expect((await readdir(dir)).length).toBe(1);
    host.child.kill('SIGKILL');
    expect((await host.exited).signal).toBe('SIGKILL');
    await within(10_000, 'the sentinel reverted the files', async () => (await readdir(dir)).length === 0);
    await within(5_000, 'the sentinel exited', () => !alive(sentinel));
    expect(await journalStates(stateDir), 'the sentinel exits only after writing reverted').toEqual([]);
    const log = readFileSync(join(stateDir, 'sentinel.log'), 'utf8');
    expect(log).toMatch(/"what":"reverted","entries":\[\{"id":"[^"]+:victim:0","ok":true\}\]/);
  });

  it('SIGKILL during inject: the sentinel cleans up the partial inject by name', async () => {
    const [stateDir, dir] = [await tempDir(), await tempDir()];
    const host = startHost(stateDir, dir, { sentinel: true, count: 50, injectDelayMs: 5000 });
    await host.waitFor('injecting');
    await within(
      5_000,
      'the inject wrote some files',
      async () => (await readdir(dir, { recursive: true })).length > 1,
    );
    host.child.kill('SIGKILL');
    await host.exited;
    await within(10_000, 'the partial inject was reverted', async () => (await readdir(dir)).length === 0);
    // the sentinel writes `reverted` just after it removed the files
    await within(
      5_000,
      'the journal says reverted',
      async () => (await journalStates(stateDir)).length === 0,
    );
  });

  it('a normal end tells the sentinel nothing is pending: it exits and reverts nothing', async () => {
    const [stateDir, dir] = [await tempDir(), await tempDir()];
    const host = startHost(stateDir, dir, { sentinel: true, duration: '100ms' });
    const { sentinel } = await host.waitFor('injected');
    expect((await host.waitFor('verdict')).verdict).toBe('Pass');
    expect((await host.exited).code).toBe(0);
    await within(5_000, 'the sentinel exited', () => !alive(sentinel));
    expect(readFileSync(join(stateDir, 'sentinel.log'), 'utf8')).not.toMatch(/"what":"reverted"/);
  });

  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    it(`${sig}: the host aborts, reverts, then dies of ${sig}`, async () => {
      const [stateDir, dir] = [await tempDir(), await tempDir()];
      const host = startHost(stateDir, dir, { sentinel: false });
      await host.waitFor('injected');
      host.child.kill(sig);
      const end = await host.exited;
      expect(end.signal, 'the exit status is honest').toBe(sig);
      expect(await readdir(dir), 'reverted by the host itself').toEqual([]);
      expect(await journalStates(stateDir)).toEqual([]);
    });
  }

  it('after the last run the signal handlers linger 1 s: a SIGINT then ends the host at once, quietly', async () => {
    const [stateDir, dir] = [await tempDir(), await tempDir()];
    const host = startHost(stateDir, dir, { sentinel: false, duration: '100ms', idleMs: 30_000 });
    const done = await host.waitFor('verdict');
    expect(done).toMatchObject({ verdict: 'Pass', sigintListeners: 1 });
    host.child.kill('SIGINT');
    const end = await host.exited;
    expect(end.signal, 'the default action, as without handlers').toBe('SIGINT');
    expect(host.stderr()).not.toMatch(/aborting/);
  });

  it('the signal handlers are gone 1 s after the last run', async () => {
    const [stateDir, dir] = [await tempDir(), await tempDir()];
    const host = startHost(stateDir, dir, { sentinel: false, duration: '100ms', idleMs: 1500 });
    expect(await host.waitFor('verdict')).toMatchObject({ sigintListeners: 1 });
    expect(await host.waitFor('idleEnd')).toMatchObject({ sigintListeners: 0 });
    expect((await host.exited).code).toBe(0);
  });

  it('a second SIGINT during the revert does not skip the revert', async () => {
    const [stateDir, dir] = [await tempDir(), await tempDir()];
    const host = startHost(stateDir, dir, { sentinel: false, revertDelayMs: 600 });
    await host.waitFor('injected');
    host.child.kill('SIGINT');
    await host.waitFor('reverting');
    host.child.kill('SIGINT');
    expect((await readdir(dir)).length, 'still reverting when the second SIGINT came').toBe(1);
    const end = await host.exited;
    expect(end.signal).toBe('SIGINT');
    expect(await readdir(dir)).toEqual([]);
    expect(await journalStates(stateDir)).toEqual([]);
  });
});

describe('realtime', () => {
  it('realtime: true makes the main thread SCHED_FIFO while a run is active, and normal after', async () => {
    const { createRuntime, experiment, faultRef, MemoryJournal } = await import('../index.js');
    const { pack, touchFiles } = await import('../../test/pack.js');
    const policy = () =>
      readFileSync(`/proc/${process.pid}/sched`, 'utf8').match(/^policy\s*:\s*(\d+)/m)?.[1];
    const dir = await tempDir();
    const rt = await createRuntime({
      packs: [pack],
      stateDir: await tempDir(),
      journal: new MemoryJournal(),
      realtime: true,
      sentinel: false,
    });
    expect(policy()).toBe('0');
    const run = rt.run(experiment('rt').fault(faultRef(touchFiles, { dir }), { duration: '300ms' }).build());
    await new Promise((r) => setTimeout(r, 150));
    expect(policy(), 'SCHED_FIFO during the run').toBe('1');
    await run.result;
    await within(2000, 'back to SCHED_OTHER', () => policy() === '0');
  });
});

describe('a run waits for its sentinel before the first inject', () => {
  it('the real sentinel has loaded the pack before the journal sees the first entry', async () => {
    const [stateDir, dir] = [await tempDir(), await tempDir()];
    const host = startHost(stateDir, dir, { sentinel: true, duration: '100ms' });
    await host.waitFor('verdict');
    await host.exited;
    const log = readFileSync(join(stateDir, 'sentinel.log'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { at: string; what: string });
    const loaded = log.find((l) => l.what === 'pack-loaded');
    expect(loaded, 'the sentinel logged its pack').toBeDefined();
    const entries = readFileSync(defaultJournalPath(stateDir), 'utf8');
    const created = /"createdAt":"([^"]+)"/.exec(entries)?.[1];
    expect(created).toBeDefined();
    expect(Date.parse(loaded!.at)).toBeLessThanOrEqual(Date.parse(created!));
  });

  // a launcher whose sentinel never answers: how long a run waits, and that an abort does not wait
  const mute = () => ({
    pid: undefined,
    send() {},
    release() {},
    loaded: () => new Promise<boolean>(() => {}),
  });

  it('a sentinel that never answers holds the run only for readyTimeoutMs, with a warning', async () => {
    const { createRuntime, experiment, faultRef } = await import('../index.js');
    const { pack, touchFiles } = await import('../../test/pack.js');
    const dir = await tempDir();
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (m: string) => warnings.push(m);
    try {
      const rt = await createRuntime({
        packs: [pack],
        stateDir: await tempDir(),
        sentinel: { launcher: mute, readyTimeoutMs: 300 },
        signals: false,
      });
      const t0 = performance.now();
      const run = rt.run(
        experiment('mute').fault(faultRef(touchFiles, { dir }), { duration: '10ms' }).build(),
      );
      const injecting = new Promise<number>((r) =>
        run.events.on('fault.injecting', () => r(performance.now())),
      );
      expect((await run.result).verdict).toBe('Pass');
      expect((await injecting) - t0, 'waited for the sentinel').toBeGreaterThanOrEqual(290);
      expect(warnings.join('\n')).toMatch(/has not loaded this run's packs after 300 ms/);
      await rt.close();
    } finally {
      console.warn = warn;
    }
  });

  it('an abort while waiting for the sentinel ends the run at once, with nothing injected', async () => {
    const { createRuntime, experiment, faultRef } = await import('../index.js');
    const { pack, touchFiles } = await import('../../test/pack.js');
    const dir = await tempDir();
    const rt = await createRuntime({
      packs: [pack],
      stateDir: await tempDir(),
      sentinel: { launcher: mute, readyTimeoutMs: 60_000 },
      signals: false,
    });
    const run = rt.run(experiment('mute').fault(faultRef(touchFiles, { dir }), { duration: '10ms' }).build());
    const injected: string[] = [];
    run.events.on('fault.injecting', (e) => injected.push(e.stepId));
    setTimeout(() => run.abort('stop'), 100);
    const t0 = performance.now();
    const result = await run.result;
    expect(result.verdict).toBe('Aborted');
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(injected).toEqual([]);
    expect(await readdir(dir)).toEqual([]);
    await rt.close();
  });
});
