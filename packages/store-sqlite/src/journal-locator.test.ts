import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RollbackJournal } from '@faultline/core';
import { locatorOf } from '@faultline/core/internal';
import { sampleJournalEntry } from '@faultline/core/testing';
import { afterAll, expect, it } from 'vitest';
import { sqliteJournal } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'fle-locator-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('a sentinel can reopen the SQLite journal from its locator and sees the same pending entries', async () => {
  const journal = sqliteJournal(join(dir, 'j.db'));
  await journal.begin(sampleJournalEntry({ id: 'r1:s:0' }));
  const loc = locatorOf(journal);
  expect(loc).toEqual({
    module: '@faultline/store-sqlite',
    factory: 'sqliteJournal',
    args: [join(dir, 'j.db')],
  });
  const mod = (await import(loc!.module)) as Record<string, (...a: unknown[]) => RollbackJournal>;
  const other = await mod[loc!.factory]!(...loc!.args);
  expect((await other.pending()).map((e) => e.id)).toEqual(['r1:s:0']);
  await other.update('r1:s:0', { state: 'reverted' });
  expect(await journal.pending()).toEqual([]);
  await other.close();
  await journal.close();
  expect(locatorOf(sqliteJournal(':memory:'))).toBeUndefined();
});
