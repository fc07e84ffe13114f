import { journalContract } from '@faultline/core/testing';
import { tempDir } from '../test/helpers.js';
import { sqliteJournal } from './journal.js';
import { sqliteStore } from './store.js';

// the same suite MemoryJournal and FileJournal pass, unchanged
journalContract(
  async () => {
    const t = tempDir();
    return {
      journal: sqliteJournal(t.file()),
      reopen: async () => sqliteJournal(t.file()),
      cleanup: async () => t.cleanup(),
    };
  },
  { name: 'sqliteJournal' },
);

// and the journal a store hands out, sharing the store's connection
journalContract(
  async () => {
    const t = tempDir();
    // the journal keeps the connection open after its store closed; closing it closes the file
    const open = async () => {
      const store = sqliteStore(t.file());
      const journal = store.journal;
      await store.close();
      return journal;
    };
    return { journal: await open(), reopen: open, cleanup: async () => t.cleanup() };
  },
  { name: 'sqliteStore().journal' },
);
