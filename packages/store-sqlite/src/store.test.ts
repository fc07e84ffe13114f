import type { FaultlineEvent } from '@faultline/core';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { entry, result, runEvents, spec, testDir } from '../test/helpers.js';
import { sqliteStore } from './store.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.concurrent('sqliteStore', () => {
  it('a late viewer replaying from a seq gets exactly the live stream from there on', async ({
    onTestFinished,
  }) => {
    const t = testDir(onTestFinished);
    const store = sqliteStore(t.file(), { flushMs: 5 });
    const viewerStore = sqliteStore(t.file(), { readonly: true });
    try {
      const events = runEvents('live1', 'checkout', 120);
      await store.runStarted({ runId: 'live1', spec: spec('checkout') });
      const live: FaultlineEvent[] = [];
      let viewer: Promise<FaultlineEvent[]> | undefined;
      for (const ev of events) {
        live.push(ev);
        store.event(ev);
        // the viewer joins mid-run, from seq 40, on another connection, and follows to the end
        if (ev.seq === 60) {
          viewer = (async () => {
            const got: FaultlineEvent[] = [];
            for await (const e of viewerStore.replay('live1', { fromSeq: 40, follow: true, pollMs: 10 }))
              got.push(e);
            return got;
          })();
        }
        if (ev.seq % 10 === 0) await tick(2);
      }
      await store.runFinished(result('live1', 'checkout', 85.71));
      const seen = await viewer;
      expect(seen).toEqual(live.slice(39));
      expect(seen?.at(-1)?.type).toBe('run.finished');
      // and a full replay after the fact equals the whole live stream
      expect(await store.events('live1')).toEqual(live);
      expect(await viewerStore.events('live1', { fromSeq: 100 })).toEqual(live.slice(99));
    } finally {
      await viewerStore.close();
      await store.close();
    }
  });

  it('batches events: a full batch commits at once, a partial one on its timer, flush() on demand', async ({
    onTestFinished,
  }) => {
    const t = testDir(onTestFinished);
    const store = sqliteStore(t.file(), { batchSize: 50, flushMs: 30 });
    const raw = new Database(t.file(), { readonly: true });
    const count = () => raw.prepare('SELECT count(*) FROM events').pluck().get();
    try {
      const events = runEvents('b1', 'batching', 80).slice(0, 70);
      for (const ev of events.slice(0, 49)) store.event(ev);
      expect(count()).toBe(0); // buffered, not yet written
      store.event(events[49] as FaultlineEvent);
      expect(count()).toBe(50); // the 50th filled the batch
      for (const ev of events.slice(50, 60)) store.event(ev);
      expect(count()).toBe(50);
      await tick(150);
      expect(count()).toBe(60); // the timer flushed the rest
      for (const ev of events.slice(60)) store.event(ev);
      await store.flush();
      expect(count()).toBe(70);
      // a duplicate (an agent resending after a reconnect) is ignored
      store.event(events[0] as FaultlineEvent);
      await store.flush();
      expect(count()).toBe(70);
    } finally {
      raw.close();
      await store.close();
    }
  });

  it('keeps spec, result and score; lists runs by experiment and time; trends over 50 runs', async ({
    onTestFinished,
  }) => {
    const t = testDir(onTestFinished);
    const store = sqliteStore(t.file());
    try {
      const t0 = Date.parse('2025-03-01T00:00:00Z');
      for (let i = 0; i < 50; i++) {
        const id = `trend-${String(i).padStart(2, '0')}`;
        const at = new Date(t0 + i * 3_600_000);
        await store.runStarted({ runId: id, spec: spec('checkout'), startedAt: at.toISOString() });
        // the score climbs by 1 a run from 40; every 10th run could not be scored
        await store.runFinished(result(id, 'checkout', i % 10 === 9 ? null : 40 + i, at));
        await store.runStarted({ runId: `other-${i}`, spec: spec('search'), startedAt: at.toISOString() });
        await store.runFinished(result(`other-${i}`, 'search', 100, at));
      }
      const trend = await store.scoreTrend('checkout');
      expect(trend.points).toHaveLength(45);
      expect(trend.points[0]).toMatchObject({ runId: 'trend-00', score: 40, verdict: 'Fail' });
      expect(trend.points.at(-1)).toMatchObject({ runId: 'trend-48', score: 88 });
      expect(trend.slope).toBeGreaterThan(1);
      expect(trend.slope).toBeLessThan(1.2);
      expect(trend.min).toBe(40);
      expect(trend.max).toBe(88);
      const last10 = await store.scoreTrend('checkout', { limit: 10 });
      expect(last10.points.map((p) => p.score)).toEqual([78, 80, 81, 82, 83, 84, 85, 86, 87, 88]);

      const runs = await store.runs({
        experiment: 'checkout',
        from: new Date(t0 + 10 * 3_600_000),
        to: new Date(t0 + 19 * 3_600_000),
      });
      expect(runs.map((r) => r.runId)).toEqual(Array.from({ length: 10 }, (_, i) => `trend-${19 - i}`));
      expect(await store.runs({ limit: 3 })).toHaveLength(3);
      const one = await store.run('trend-19');
      expect(one).toMatchObject({
        experiment: 'checkout',
        score: null,
        spec: spec('checkout'),
        result: { runId: 'trend-19', verdict: 'Fail' },
      });
    } finally {
      await store.close();
    }
  });

  it('retention drops old events and reverted entries of finished runs, keeps running runs and pending entries', async ({
    onTestFinished,
  }) => {
    const t = testDir(onTestFinished);
    const store = sqliteStore(t.file());
    try {
      const day = 24 * 3_600_000;
      const now = Date.now();
      for (let i = 0; i < 6; i++) {
        const id = `ret-${i}`;
        const at = new Date(now - (6 - i) * day); // ret-0 is 6 days old, ret-5 one day
        await store.runStarted({ runId: id, spec: spec('ret'), startedAt: at.toISOString() });
        for (const ev of runEvents(id, 'ret', 5)) store.event(ev);
        await store.runFinished(result(id, 'ret', 50, at));
      }
      // a run still going, older than everything: never pruned
      await store.runStarted({
        runId: 'ret-live',
        spec: spec('ret'),
        startedAt: new Date(now - 30 * day).toISOString(),
      });
      for (const ev of runEvents('ret-live', 'ret', 5).slice(0, 4)) store.event(ev);
      await store.journal.begin({ ...entry('ret-live', 'loss'), state: 'active' });
      // old runs' entries: a reverted one is history and goes with the events; a failed one stays
      await store.journal.begin({ ...entry('ret-0', 'loss'), state: 'reverted' });
      await store.journal.begin({ ...entry('ret-1', 'loss'), state: 'revert_failed', manual: 'rm x' });

      expect(await store.prune({ olderThan: `${3.5 * 24}h` })).toEqual({
        runs: 0,
        events: 3 * 12,
        entries: 1,
      });
      expect(await store.events('ret-0')).toEqual([]);
      expect(await store.events('ret-3')).toHaveLength(12);
      expect(await store.prune({ keepRuns: 2 })).toEqual({ runs: 0, events: 12, entries: 0 }); // ret-3 goes; ret-4, ret-5 stay
      expect((await store.events('ret-4')).length + (await store.events('ret-5')).length).toBe(24);
      expect(await store.events('ret-live')).toHaveLength(4);
      // runs and scores stay (trends survive) unless dropRuns
      expect((await store.scoreTrend('ret')).points).toHaveLength(6);
      expect(await store.prune({ keepRuns: 2, dropRuns: true })).toEqual({ runs: 4, events: 0, entries: 0 });
      expect((await store.runs({ experiment: 'ret' })).map((r) => r.runId)).toEqual([
        'ret-5',
        'ret-4',
        'ret-live',
      ]);
      expect((await store.pendingEntries()).map((e) => e.runId)).toEqual(['ret-live', 'ret-1']);
      expect(await store.journal.get('ret-0:loss:0')).toBeUndefined();
    } finally {
      await store.journal.close();
      await store.close();
    }
  });

  it('applies the retention option after each recorded result', async ({ onTestFinished }) => {
    const t = testDir(onTestFinished);
    const store = sqliteStore(t.file(), { retention: { keepRuns: 3 } });
    try {
      for (let i = 0; i < 5; i++) {
        const id = `auto-${i}`;
        const at = new Date(Date.now() - (5 - i) * 60_000);
        await store.runStarted({ runId: id, spec: spec('auto'), startedAt: at.toISOString() });
        for (const ev of runEvents(id, 'auto', 2)) store.event(ev);
        await store.runFinished(result(id, 'auto', 100, at));
      }
      const counts = await Promise.all(
        [0, 1, 2, 3, 4].map(async (i) => (await store.events(`auto-${i}`)).length),
      );
      expect(counts).toEqual([0, 0, 9, 9, 9]);
    } finally {
      await store.close();
    }
  });
});
