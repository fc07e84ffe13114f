import { FileJournal, type FileJournalOptions } from './file-journal.js';

/** Opens a FileJournal: the factory a sentinel or a recovering process calls from a journal locator. */
export function openFileJournal(path: string, opts: FileJournalOptions = {}): Promise<FileJournal> {
  return FileJournal.open(path, opts);
}
