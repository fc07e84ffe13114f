import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { isFaultlineError } from '@faultline/core';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { entry, spec, testDir } from '../test/helpers.js';
import { sqliteJournal } from './journal.js';
import { SCHEMA_VERSION } from './schema.js';
import { sqliteStore } from './store.js';

const FL_JOURNAL = { code: 'FL_JOURNAL' };
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const chattrWorks = (() => {
  const t = testDir(() => undefined);
  try {
    writeFileSync(t.file('probe'), 'x');
    execFileSync('chattr', ['+i', t.file('probe')], { stdio: 'ignore' });
    execFileSync('chattr', ['-i', t.file('probe')], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    t.cleanup();
  }
})();
if (!chattrWorks)
  console.log('store-sqlite: skipping the read-only file test: chattr +i needs root on ext4/xfs');

/** Builds a schema-v1 file by hand, the way release 1 wrote it, with a run, events and an entry. */
function writeV1(file: string): void {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec(`
    CREATE TABLE journal (id TEXT PRIMARY KEY, run_id TEXT NOT NULL, state TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, entry TEXT NOT NULL);
    CREATE INDEX journal_state ON journal(state);
    CREATE TABLE runs (id INTEGER PRIMARY KEY, run_id TEXT NOT NULL UNIQUE, experiment TEXT NOT NULL, started_at TEXT NOT NULL, finished_at TEXT, spec TEXT, result TEXT);
    CREATE TABLE events (run INTEGER NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, event TEXT NOT NULL, PRIMARY KEY (run, seq)) WITHOUT ROWID;
    PRAGMA application_id = ${0x464c5431};
    PRAGMA user_version = 1;`);
  const e = entry('oldrun', 'loss');
  db.prepare('INSERT INTO journal VALUES (?, ?, ?, ?, ?, ?)').run(
    e.id,
    e.runId,
    'active',
    e.createdAt,
    e.updatedAt,
    JSON.stringify({ ...e, state: 'active' }),
  );
  const result = { runId: 'oldrun', experiment: 'old', verdict: 'Fail', score: 42.5 };
  db.prepare('INSERT INTO runs VALUES (1, ?, ?, ?, ?, ?, ?)').run(
    'oldrun',
    'old',
    '2025-01-01T00:00:00.000Z',
    '2025-01-01T00:01:00.000Z',
    null,
    JSON.stringify(result),
  );
  for (let seq = 1; seq <= 3; seq++) {
    db.prepare('INSERT INTO events VALUES (1, ?, ?, ?)').run(
      seq,
      'log',
      JSON.stringify({ seq, type: 'log', runId: 'oldrun', ts: 'x', level: 'info', message: `m${seq}` }),
    );
  }
  db.close();
}

describe.concurrent('opening a database', () => {
  it('migrates a v1 file and keeps its journal, runs and events', async ({ onTestFinished }) => {
    const t = testDir(onTestFinished);
    writeV1(t.file());
    const store = sqliteStore(t.file());
    try {
      const raw = new Database(t.file(), { readonly: true });
      expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      raw.close();
      expect(SCHEMA_VERSION).toBeGreaterThan(1);
      expect(await store.runs()).toEqual([
        {
          runId: 'oldrun',
          experiment: 'old',
          startedAt: '2025-01-01T00:00:00.000Z',
          finishedAt: '2025-01-01T00:01:00.000Z',
          verdict: 'Fail',
          score: 42.5,
        },
      ]);
      expect((await store.scoreTrend('old')).points.map((p) => p.score)).toEqual([42.5]);
      expect((await store.events('oldrun')).map((e) => e.seq)).toEqual([1, 2, 3]);
      expect((await store.pendingEntries()).map((e) => [e.id, e.state])).toEqual([
        ['oldrun:loss:0', 'active'],
      ]);
    } finally {
      await store.close();
    }
  });

  it('refuses a newer schema with FL_JOURNAL and leaves the file as it was', async ({ onTestFinished }) => {
    const t = testDir(onTestFinished);
    const j = sqliteJournal(t.file());
    await j.begin(entry('newer', 'a'));
    await j.close();
    const raw = new Database(t.file());
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    expect(() => sqliteJournal(t.file())).toThrow(/newer @faultline\/store-sqlite/);
    expect(() => sqliteStore(t.file(), { readonly: true })).toThrow(expect.objectContaining(FL_JOURNAL));
    const check = new Database(t.file(), { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION + 1);
    expect(check.prepare('SELECT id FROM journal').pluck().all()).toEqual(['newer:a:0']);
    check.close();
  });

  it('refuses a corrupt file (garbage bytes) with FL_JOURNAL and does not overwrite it', ({
    onTestFinished,
  }) => {
    const t = testDir(onTestFinished);
    writeFileSync(t.file(), randomBytes(16384));
    const before = sha(t.file());
    let err: unknown;
    try {
      sqliteJournal(t.file());
    } catch (e) {
      err = e;
    }
    expect(isFaultlineError(err, 'FL_JOURNAL')).toBe(true);
    expect((err as Error).message).toMatch(/not a SQLite database; move it aside/);
    expect(sha(t.file())).toBe(before);
  });

  it('refuses a SQLite file of another program', ({ onTestFinished }) => {
    const t = testDir(onTestFinished);
    const db = new Database(t.file());
    db.exec('CREATE TABLE users (name TEXT)');
    db.close();
    expect(() => sqliteStore(t.file())).toThrow(/faultline did not create/);
  });

  it.skipIf(!chattrWorks)(
    'refuses a read-only file with FL_JOURNAL; a readonly viewer still reads it',
    async ({ onTestFinished }) => {
      const t = testDir(onTestFinished);
      const j = sqliteJournal(t.file());
      await j.begin(entry('ro', 'a'));
      await j.close();
      execFileSync('chattr', ['+i', t.file()]);
      try {
        expect(() => sqliteJournal(t.file())).toThrow(/not writable/);
        expect(() => sqliteStore(t.file())).toThrow(expect.objectContaining(FL_JOURNAL));
        const errors: unknown[] = [];
        const viewer = sqliteStore(t.file(), { readonly: true, onError: (e) => errors.push(e) });
        expect((await viewer.pendingEntries()).map((e) => e.id)).toEqual(['ro:a:0']);
        await expect(viewer.runStarted({ runId: 'ro', spec: spec('ro') })).rejects.toThrow(/opened readonly/);
        // event() never throws into the runtime: the failure goes to onError
        viewer.event({ type: 'log', level: 'info', message: 'x', seq: 1, ts: '', runId: 'ro' });
        expect(errors).toEqual([expect.objectContaining(FL_JOURNAL)]);
        await viewer.close();
      } finally {
        execFileSync('chattr', ['-i', t.file()]);
      }
    },
  );

  it('reports a lock held too long as FL_JOURNAL, and keeps every acknowledged entry', async ({
    onTestFinished,
  }) => {
    const t = testDir(onTestFinished);
    const j = sqliteJournal(t.file(), { busyTimeoutMs: 150 });
    await j.begin(entry('lock', 'a'));
    const holder = new Database(t.file());
    holder.exec('BEGIN EXCLUSIVE');
    try {
      await expect(j.begin(entry('lock', 'b'))).rejects.toThrow(/another process holds the write lock/);
      expect(() => sqliteJournal(t.file(), { busyTimeoutMs: 100 })).toThrow(
        expect.objectContaining(FL_JOURNAL),
      );
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    await j.begin(entry('lock', 'c'));
    expect((await j.pending()).map((e) => e.id)).toEqual(['lock:a:0', 'lock:c:0']);
    await j.close();
  });
});
