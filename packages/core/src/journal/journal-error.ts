import { dirname } from 'node:path';
import { FaultlineError } from '../errors.js';
import { isNoSpace } from './full-disk.js';
import { directoryError, symlinkError } from './state-dir.js';

/** FL_JOURNAL for a failed journal operation, with advice that fits its cause. */
export function journalError(path: string, e: unknown, action: string): FaultlineError {
  if (e instanceof FaultlineError) return e;
  const code = (e as NodeJS.ErrnoException | null)?.code;
  if (code === 'ELOOP') return symlinkError(path, 'journal', e);
  if (code === 'EISDIR') return directoryError(path, 'journal', e);
  if (isNoSpace(e))
    return new FaultlineError(
      'FL_JOURNAL',
      `could not ${action} the rollback journal ${path}: the filesystem is full and the journal's reserve is used up. ` +
        `Free space there (df -h ${dirname(path)}); without a durable journal entry nothing is injected.`,
      { cause: e },
    );
  return new FaultlineError(
    'FL_JOURNAL',
    `could not ${action} the rollback journal ${path}: ${(e as Error)?.message ?? String(e)}. ` +
      'Check that its directory is writable and the disk has room (or set FAULTLINE_STATE_DIR); ' +
      'without a durable journal entry nothing is injected.',
    { cause: e },
  );
}
