import { constants, lstatSync, mkdirSync, type Stats, statSync } from 'node:fs';
import { FaultlineError } from '../errors.js';

/** Opens the journal for appends without following a symlink at its path. */
export const APPEND_NOFOLLOW =
  constants.O_APPEND | constants.O_CREAT | constants.O_RDWR | constants.O_NOFOLLOW;
/** Opens the journal for reading without following a symlink at its path. */
export const READ_NOFOLLOW = constants.O_RDONLY | constants.O_NOFOLLOW;

const euid = () => process.geteuid?.() ?? -1;
const mode = (st: Stats) => `0${(st.mode & 0o777).toString(8)}`;
const WHY =
  'whoever can write there decides what faultline reverts after a crash (or that it reverts nothing)';

/**
 * Makes the state directory (mode 0700) if it is missing, and checks it the way ssh checks a key's
 * directory: a directory (not a file), owned by this user or root, not writable by group or others.
 * Throws FL_JOURNAL saying what to change. Returns the first directory it created, if any.
 */
export function prepareStateDir(dir: string): string | undefined {
  let created: string | undefined;
  try {
    created = mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST' && code !== 'ENOTDIR') throw e;
    // mkdir says EEXIST for a file at the path, ENOTDIR for a file above it
    throw new FaultlineError(
      'FL_JOURNAL',
      `the state dir ${dir} cannot be a directory: ${code === 'EEXIST' ? 'a file is there' : 'a file is in its path'}. ` +
        'Move that file away, or choose another state dir (the stateDir option or FAULTLINE_STATE_DIR).',
      { cause: e, details: { stateDir: dir } },
    );
  }
  checkStateDir(dir);
  return created;
}

/** The ownership and mode checks of {@link prepareStateDir}, on a directory that exists. */
export function checkStateDir(dir: string): void {
  const st = statSync(dir);
  if (!st.isDirectory()) {
    throw new FaultlineError(
      'FL_JOURNAL',
      `the state dir ${dir} is not a directory. Move it away, or choose another state dir (the stateDir option or FAULTLINE_STATE_DIR).`,
      { details: { stateDir: dir } },
    );
  }
  const me = euid();
  if (me >= 0 && st.uid !== me && st.uid !== 0) {
    throw new FaultlineError(
      'FL_JOURNAL',
      `the state dir ${dir} belongs to uid ${st.uid}, not to this user (uid ${me}) or root: ${WHY}. ` +
        `Run: chown ${me} ${dir} — or choose a state dir of your own (FAULTLINE_STATE_DIR).`,
      { details: { stateDir: dir, uid: st.uid } },
    );
  }
  if (st.mode & 0o022) {
    throw new FaultlineError(
      'FL_JOURNAL',
      `the state dir ${dir} is writable by ${writers(st)} (mode ${mode(st)}): ${WHY}. Run: chmod go-w ${dir} (faultline makes it 0700).`,
      { details: { stateDir: dir, mode: mode(st) } },
    );
  }
}

/**
 * Checks the journal file (when it exists) before it is used: a regular file, not a symlink (it is
 * opened with O_NOFOLLOW, so one swapped in later fails too), owned by this user, not writable by
 * group or others. Throws FL_JOURNAL saying what to change.
 */
export function checkJournalFile(path: string, what = 'journal'): void {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  if (st.isSymbolicLink()) throw symlinkError(path, what);
  if (st.isDirectory()) throw directoryError(path, what);
  if (!st.isFile()) {
    throw new FaultlineError(
      'FL_JOURNAL',
      `${path} is not a regular file; move it away, faultline creates the ${what} itself.`,
      {
        details: { path },
      },
    );
  }
  const me = euid();
  if (me >= 0 && st.uid !== me) {
    throw new FaultlineError(
      'FL_JOURNAL',
      `the ${what} ${path} belongs to uid ${st.uid}, not to this user (uid ${me}): ${WHY}. Run: chown ${me} ${path}`,
      { details: { path, uid: st.uid } },
    );
  }
  if (st.mode & 0o022) {
    throw new FaultlineError(
      'FL_JOURNAL',
      `the ${what} ${path} is writable by ${writers(st)} (mode ${mode(st)}): ${WHY}. Run: chmod 600 ${path}`,
      { details: { path, mode: mode(st) } },
    );
  }
}

/** FL_JOURNAL for a directory where the journal (or another file of faultline's) should be. */
export function directoryError(path: string, what = 'journal', cause?: unknown): FaultlineError {
  return new FaultlineError(
    'FL_JOURNAL',
    `${path} is a directory, where the ${what} file should be. Move it away (mv ${path} ${path}.old); faultline creates the file itself.`,
    { cause, details: { path } },
  );
}

/** FL_JOURNAL for a symlink where the journal should be (ELOOP from an O_NOFOLLOW open). */
export function symlinkError(path: string, what = 'journal', cause?: unknown): FaultlineError {
  return new FaultlineError(
    'FL_JOURNAL',
    `${path} is a symlink: faultline never follows one to its ${what}, since it could point anywhere. ` +
      `Replace it with the file itself (mv "$(readlink -f ${path})" ${path}), or remove it.`,
    { cause, details: { path } },
  );
}

function writers(st: Stats): string {
  const g = st.mode & 0o020;
  const o = st.mode & 0o002;
  return g && o ? 'group and others' : g ? 'its group' : 'others';
}
