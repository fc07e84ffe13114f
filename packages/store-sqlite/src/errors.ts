import { FaultlineError } from '@faultline/core';

/** What a person should do for each SQLite failure, keyed by the primary result code. */
const ADVICE: Record<string, string> = {
  SQLITE_BUSY:
    'another process holds the write lock longer than the busy timeout; find it (fuser <file>) or raise busyTimeoutMs',
  SQLITE_LOCKED: 'the database is locked by another connection of this process; close it first',
  SQLITE_READONLY:
    'the file (or its directory, for the -wal/-shm files) is not writable by this process; fix its permissions or point FAULTLINE_STATE_DIR elsewhere',
  SQLITE_CANTOPEN: 'the file cannot be opened or created; check that the directory exists and is writable',
  SQLITE_NOTADB:
    'the file is not a SQLite database; move it aside (do not delete it: it may hold faults to revert) and start a new journal',
  SQLITE_CORRUPT:
    'the database is corrupt; copy it aside, try `sqlite3 <file> .recover`, and revert what it names by hand',
  SQLITE_FULL: 'the disk is full; free space, then run `faultline recover`',
  SQLITE_IOERR: 'the disk reported an I/O error; check the device, then run `faultline recover`',
  SQLITE_PERM: 'the operating system denied access to the file; fix its permissions',
};

/** The SQLite result code of a thrown value (`SQLITE_BUSY_TIMEOUT` → `SQLITE_BUSY`), if it is one. */
export function sqliteCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return undefined;
  return code.split('_').slice(0, 2).join('_');
}

/**
 * Wraps anything thrown by SQLite into `FL_JOURNAL` with the file, the action and what to do.
 * A FaultlineError passes through unchanged.
 */
export function journalError(e: unknown, path: string, action: string): FaultlineError {
  if (e instanceof FaultlineError) return e;
  const code = sqliteCode(e);
  const why = e instanceof Error ? e.message : String(e);
  const advice = (code && ADVICE[code]) ?? 'see the cause for details';
  return new FaultlineError('FL_JOURNAL', `cannot ${action} ${path}: ${why} — ${advice}`, {
    cause: e,
    details: { path, ...(code ? { sqliteCode: (e as { code: string }).code } : {}) },
  });
}
