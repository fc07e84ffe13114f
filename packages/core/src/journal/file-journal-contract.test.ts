import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { journalContract } from '../testing/journal-contract.js';
import { FileJournal } from './file-journal.js';

journalContract(
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fltA-contract-'));
    const path = join(dir, 'state', 'journal.jsonl');
    const warnings: string[] = [];
    const onWarning = (m: string) => warnings.push(m);
    return {
      journal: await FileJournal.open(path, { onWarning }),
      reopen: () => FileJournal.open(path, { onWarning }),
      cleanup: async () => {
        // the journals are closed by now: only the journal and its reserve remain, no lock, no temp file
        expect((await readdir(join(dir, 'state'))).sort()).toEqual([
          'journal.jsonl',
          'journal.jsonl.reserve',
        ]);
        expect(warnings).toEqual([]);
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
  { name: 'FileJournal' },
);
