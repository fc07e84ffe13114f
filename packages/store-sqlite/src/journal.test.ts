import { statSync } from 'node:fs';
import { isFaultlineError } from '@faultline/core';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { entry, testDir } from '../test/helpers.js';
import { sqliteJournal } from './journal.js';
import { sqliteStore } from './store.js';

describe.concurrent('sqliteJournal', () => {
  it('keeps begun entries and patches across a reopen, pending oldest first', async ({ onTestFinished }) => {
    const t = testDir(onTestFinished);
    const j = sqliteJournal(t.file());
    const t0 = Date.now();
    await j.begin(entry('run1', 'a', 0, new Date(t0)));
    await j.begin(entry('run1', 'b', 0, new Date(t0 + 1)));
    await j.begin(entry('run1', 'c', 0, new Date(t0 + 2)));
    await j.update('run1:a:0', { state: 'active', receipt: { table: 'faultline_run1_a' } });
    await j.update('run1:b:0', { state: 'reverted' });
    await j.update('run1:c:0', {
      state: 'revert_failed',
      error: { code: 'FL_REVERT', message: 'nft: busy' },
      manual: 'nft delete table inet x',
    });
    await j.close();

    const again = sqliteJournal(t.file());
    const pending = await again.pending();
    expect(pending.map((e) => [e.id, e.state])).toEqual([
      ['run1:a:0', 'active'],
      ['run1:c:0', 'revert_failed'],
    ]);
    expect(pending[0]?.receipt).toEqual({ table: 'faultline_run1_a' });
    expect(pending[1]?.manual).toBe('nft delete table inet x');
    expect((await again.get('run1:b:0'))?.state).toBe('reverted');
    expect(await again.get('nope')).toBeUndefined();
    await again.close();
  });

  it('commits a parallel group of 10 begins in one transaction', async ({ onTestFinished }) => {
    const t = testDir(onTestFinished);
    const j = sqliteJournal(t.file());
    const before = j.commits;
    await Promise.all(Array.from({ length: 10 }, (_, i) => j.begin(entry('grp', `s${i}`))));
    expect(j.commits - before).toBe(1);
    // read with a separate connection: the rows are in the file, not only in this process
    const db = new Database(t.file(), { readonly: true });
    expect(db.prepare('SELECT count(*) AS n FROM journal').get()).toEqual({ n: 10 });
    db.close();
    await j.close();
  });

  it('fails one bad op of a group alone: duplicate begin and unknown update are FL_JOURNAL', async ({
    onTestFinished,
  }) => {
    const t = testDir(onTestFinished);
    const j = sqliteJournal(t.file());
    await j.begin(entry('dup', 'a'));
    const results = await Promise.allSettled([
      j.begin(entry('dup', 'a')),
      j.begin(entry('dup', 'b')),
      j.update('dup:zz:0', { state: 'active' }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'rejected']);
    for (const r of results)
      if (r.status === 'rejected') expect(isFaultlineError(r.reason, 'FL_JOURNAL')).toBe(true);
    expect((await j.pending()).map((e) => e.id)).toEqual(['dup:a:0', 'dup:b:0']);
    await j.close();
    await expect(j.begin(entry('dup', 'c'))).rejects.toMatchObject({ code: 'FL_JOURNAL' });
    await j.close(); // idempotent
  });

  it('sees entries written by another connection (a sentinel, a recover) and shares a file with the store', async ({
    onTestFinished,
  }) => {
    const t = testDir(onTestFinished);
    const store = sqliteStore(t.file());
    const j1 = store.journal;
    const j2 = sqliteJournal(t.file());
    await j1.begin(entry('shared', 'a'));
    await j2.begin(entry('shared', 'b'));
    await j2.update('shared:a:0', { state: 'revert_failed', manual: 'tc qdisc del dev x root' });
    expect((await j1.pending()).map((e) => e.id)).toEqual(['shared:a:0', 'shared:b:0']);
    expect((await store.pendingEntries()).length).toBe(2);
    expect((await store.manualInterventions()).map((e) => e.manual)).toEqual(['tc qdisc del dev x root']);
    await store.close();
    // the journal keeps the shared connection open after the store closed
    await j1.update('shared:b:0', { state: 'reverted' });
    await j1.close();
    await j2.close();
  });

  it('preallocates the WAL at open without changing the database', async ({ onTestFinished }) => {
    const t = testDir(onTestFinished);
    const j = sqliteJournal(t.file());
    const wal = statSync(`${t.file()}-wal`).size;
    expect(wal).toBeGreaterThanOrEqual(4 * 1024 * 1024);
    await j.begin(entry('wal', 'a'));
    // a reader in another connection: a sound file, no trace of the warm-up, the entry there
    const db = new Database(t.file(), { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name LIKE '%warmup%'").all()).toEqual([]);
    expect(db.prepare('SELECT id FROM journal').pluck().all()).toEqual(['wal:a:0']);
    db.close();
    expect(statSync(t.file()).size).toBeLessThan(256 * 1024);
    // commits overwrite the preallocated space instead of growing the file
    for (let i = 0; i < 50; i++) await j.begin(entry('wal', `b${i}`));
    expect(statSync(`${t.file()}-wal`).size).toBe(wal);
    await j.close();
    const off = sqliteJournal(t.file('off.db'), { walPreallocateBytes: 0 });
    expect(statSync(`${t.file('off.db')}-wal`).size).toBeLessThan(256 * 1024);
    await off.close();
  });
});
