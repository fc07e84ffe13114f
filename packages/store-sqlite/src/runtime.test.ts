import { existsSync } from 'node:fs';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createRuntime,
  defineFault,
  definePack,
  defineProbe,
  experiment,
  type FaultlineEvent,
  faultRef,
} from '@faultline/core';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { testDir } from '../test/helpers.js';
import { sqliteStore } from './store.js';

// a real, unprivileged fault: a marker file named after the injection, removed by revert
const marker = defineFault({
  kind: 'fle/marker-file',
  summary: 'creates a marker file named after the injection',
  tunables: v.object({ dir: v.string() }),
  async inject(ctx) {
    const file = join(ctx.tunables.dir, ctx.objectName);
    await writeFile(file, 'x');
    return { file };
  },
  async revert(_r, ctx) {
    await rm(join(ctx.tunables.dir, ctx.objectName), { force: true });
  },
  manual: (_r, ctx) => `rm -f '${join(ctx.tunables.dir, ctx.objectName)}'`,
  healthCheck: (t) => ({ name: 'dir', kind: 'fle/dir-exists', tunables: { dir: t.dir } }),
});
const exists = defineProbe({
  kind: 'fle/dir-exists',
  summary: 'is the test directory there',
  tunables: v.object({ dir: v.string() }),
  async run(ctx) {
    return { passed: existsSync(ctx.tunables.dir) };
  },
});
const pack = definePack({ name: '@faultline/store-sqlite/test-pack', faults: [marker], probes: [exists] });

describe('createRuntime({ journal: store.journal, store })', () => {
  it('journals the injections, stores every event as streamed, the result and the score', async ({
    onTestFinished,
  }) => {
    const t = testDir(onTestFinished);
    const store = sqliteStore(t.file());
    const journal = store.journal;
    const rt = await createRuntime({
      stateDir: t.dir,
      journal,
      store,
      packs: [pack],
      eventLog: false,
      recover: false,
    });
    try {
      const group = Array.from(
        { length: 10 },
        (_, i) => [faultRef(marker, { dir: t.dir }), { id: `m${i}`, duration: '50ms' }] as const,
      );
      const spec = experiment('store-e2e')
        .parallel(...group.map(([f, o]) => [f, o] as [typeof f, typeof o]))
        .fault(faultRef(marker, { dir: t.dir }), { id: 'solo', duration: '100ms' })
        .build();
      const commitsBefore = journal.commits;
      const run = rt.run(spec);
      const live: FaultlineEvent[] = [];
      run.events.on('*', (e) => live.push(e));
      const result = await run.result;
      expect(result.verdict).toBe('Pass');

      const stored = await store.events(result.runId);
      expect(stored).toEqual(live);
      const rec = await store.run(result.runId);
      expect(rec).toMatchObject({ experiment: 'store-e2e', verdict: 'Pass', score: result.score, spec });
      expect(rec?.result).toEqual(result);
      // 11 injections, each begun and updated several times; the parallel group's begins share commits
      const entries = await Promise.all(
        live
          .filter((e) => e.type === 'fault.injecting')
          .map((e) => journal.get(e.type === 'fault.injecting' ? e.entryId : '')),
      );
      expect(entries).toHaveLength(11);
      expect(entries.every((e) => e?.state === 'reverted')).toBe(true);
      expect(await store.pendingEntries()).toEqual([]);
      // every revert ran: no marker left
      expect((await readdir(t.dir)).filter((f) => f.startsWith('faultline_'))).toEqual([]);
      // each injection is written at least 3 times (begin, active, reverted): ≥ 33 durable writes;
      // group commit folds them into a few transactions (9 on an idle machine)
      expect(journal.commits - commitsBefore).toBeLessThan(22);
    } finally {
      await rt.close();
      await store.close();
    }
  });
});
