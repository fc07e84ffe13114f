// A full state disk (a small tmpfs the test mounts, root only): a run still reverts everything and
// says so in its journal, a sentinel still reverts after a kill -9, and a new runtime still starts.
import { statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../test/helpers.js';
import { startHost, within } from '../test/host.js';
import { pack, touchFiles } from '../test/pack.js';
import { createRuntime, defaultJournalPath, experiment, FileJournal, faultRef } from './index.js';
import { canMount, mountSmallTmpfs } from './testing/tmpfs.js';

const quiet = { sentinel: false, signals: false, eventLog: false } as const;

describe.skipIf(!canMount)('a full state disk', () => {
  it('a run whose state disk fills up mid-run reverts every fault, records it in the journal, and resolves', async () => {
    const fs = mountSmallTmpfs(8);
    try {
      const dir = await tempDir();
      const rt = await createRuntime({
        packs: [pack],
        stateDir: fs.path,
        ...quiet,
        retry: { backoffMs: 10 },
      });
      // enough faults that their receipts and revert progress outgrow the slack of the journal's
      // last page: those writes need new space on the full disk
      const faults = Array.from({ length: 12 }, (_, i) => [
        faultRef(touchFiles, { dir, injectDelayMs: i === 0 ? 0 : 150 }),
        { id: `f${i}`, duration: '300ms' },
      ]) as Array<[ReturnType<typeof faultRef>, { id: string; duration: string }]>;
      const run = rt.run(
        experiment('fills up')
          .parallel(...faults)
          .build(),
      );
      let filled = false;
      run.events.on('fault.injected', () => {
        if (!filled) fs.fill();
        filled = true;
      });
      const result = await run.result;
      // the disk stayed full: what is free is what the journal's reserve gave back and did not need
      expect(fs.free()).toBeLessThan(64 * 1024);
      expect(statSync(`${defaultJournalPath(fs.path)}.reserve`).size).toBeLessThan(1024 * 1024);
      expect(result.verdict).toBe('Pass');
      expect(result.reverts).toHaveLength(12);
      for (const r of result.reverts) expect(r).toMatchObject({ ok: true, attempts: 1 });
      expect(result.reverts.filter((r) => r.journalError)).toEqual([]);
      expect(await readdir(dir)).toEqual([]);
      expect(await rt.journal.pending(), 'the journal recorded every revert').toEqual([]);
      const warned = rt.recoveryEvents
        .snapshot()
        .filter((e) => e.type === 'log' && /reserve/.test(e.message));
      const inRun = run.events.snapshot().filter((e) => e.type === 'log' && /reserve/.test(e.message));
      expect(warned.length + inRun.length, 'the full disk is reported').toBeGreaterThan(0);
      await rt.close();
    } finally {
      fs.unmount();
    }
  });

  it('kill -9 of the host on a full state disk: the sentinel reverts from the journal, and a new runtime starts on the full disk', async () => {
    const fs = mountSmallTmpfs(8);
    try {
      const dir = await tempDir();
      const host = startHost(fs.path, dir, { sentinel: true });
      await host.waitFor('injected');
      expect((await readdir(dir)).length).toBe(1);
      fs.fill();
      host.child.kill('SIGKILL');
      await host.exited;
      await within(
        10_000,
        'the sentinel reverted on the full disk',
        async () => (await readdir(dir)).length === 0,
      );
      expect(fs.free()).toBe(0);
      // the journal says reverted: a new runtime on the full disk has nothing left to do
      const t0 = performance.now();
      const rt = await createRuntime({ packs: [pack], stateDir: fs.path, ...quiet });
      expect(performance.now() - t0, 'no stale lock to wait for').toBeLessThan(1_500);
      expect(rt.recovery?.entries).toEqual([]);
      await rt.close();
      const journal = await FileJournal.open(defaultJournalPath(fs.path));
      expect(await journal.pending()).toEqual([]);
      await journal.close();
    } finally {
      fs.unmount();
    }
  });
});
