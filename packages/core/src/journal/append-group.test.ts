import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sampleJournalEntry } from '../testing/journal-contract.js';
import { type AppendedRecord, missingFrom } from './append-group.js';
import { JournalFold } from './fold.js';

const begin = (id: string): AppendedRecord => ({ id, line: `{"op":"begin","entry":{"id":"${id}"}}\n` });
const update = (id: string, at: string): AppendedRecord => ({
  id,
  at,
  line: `{"op":"update","id":"${id}"}\n`,
});

describe('missingFrom: what a compaction lost of a group, to write again', () => {
  it('a lost begin and its updates from the same group; not an update of an entry compacted away or already newer', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fltA-missing-'));
    try {
      // the file a compaction left: `kept` is there, updated at 12:00
      const kept = sampleJournalEntry({ state: 'active', updatedAt: '2026-01-01T12:00:00.000Z' });
      const path = join(dir, 'journal.jsonl');
      writeFileSync(path, `${JSON.stringify({ op: 'begin', entry: kept })}\n`);
      const fold = new JournalFold(path, () => {});
      fold.refresh();

      const records = [
        begin('lost:s:0'),
        update('lost:s:0', '2026-01-01T12:00:01.000Z'), // its entry exists nowhere but in this group
        update(kept.id, '2026-01-01T11:59:59.000Z'), // older than what the file holds
        update(kept.id, '2026-01-01T12:00:02.000Z'), // newer: lost
        update('gone:s:0', '2026-01-01T12:00:03.000Z'), // reverted and compacted away: no matter
      ];
      expect(missingFrom(fold, records)).toEqual([records[0], records[1], records[3]]);
      fold.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
