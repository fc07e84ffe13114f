import { journalContract } from '../testing/journal-contract.js';
import { MemoryJournal } from './memory-journal.js';

journalContract(async () => ({ journal: new MemoryJournal() }), { name: 'MemoryJournal' });
