import { execa } from 'execa';

/** What a bounded run of a command found. */
export interface Ran {
  /** undefined when it was killed by a signal or could not start. */
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  /** The deadline fired (the command was killed, or had to be left behind). */
  timedOut: boolean;
  /** Why it did not run or finish, when it did not. */
  error?: string;
  durationMs: number;
}

/** Options of {@link runBounded}. */
export interface RunOptions {
  env?: Record<string, string>;
  cwd?: string;
}

/** A killed command's group gets this long between SIGTERM and SIGKILL. */
const KILL_GRACE_MS = 100;
/** After the deadline, wait at most this long for the streams to close, then return anyway. */
const GIVE_UP_MS = 250;

/**
 * Runs an argv (no shell) and never outlives `deadline` by more than ~250 ms. The command leads its
 * own process group (detached), so a deadline kills what it forked too: a shell's children would
 * otherwise keep stdout open and the caller waiting.
 */
export async function runBounded(
  argv: readonly string[],
  deadline: AbortSignal,
  opts: RunOptions = {},
): Promise<Ran> {
  const [file, ...args] = argv as [string, ...string[]];
  const started = performance.now();
  const sub = execa(file, args, {
    cancelSignal: deadline,
    detached: true,
    reject: false,
    stdin: 'ignore',
    maxBuffer: 4 * 1024 * 1024,
    forceKillAfterDelay: KILL_GRACE_MS,
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
  });
  const killGroup = (sig: NodeJS.Signals) => {
    if (sub.pid === undefined) return;
    try {
      process.kill(-sub.pid, sig);
    } catch {
      // the group is already gone
    }
  };
  let gaveUp: NodeJS.Timeout | undefined;
  let giveUp: (x: 'late') => void = () => {};
  const late = new Promise<'late'>((resolve) => {
    giveUp = resolve;
  });
  const onDeadline = () => {
    killGroup('SIGTERM');
    setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS).unref();
    gaveUp = setTimeout(() => giveUp('late'), GIVE_UP_MS);
  };
  if (deadline.aborted) onDeadline();
  else deadline.addEventListener('abort', onDeadline, { once: true });
  try {
    const r = await Promise.race([sub, late]);
    const durationMs = Math.round(performance.now() - started);
    if (r === 'late' || r.isCanceled || deadline.aborted) {
      return {
        exitCode: undefined,
        stdout: '',
        stderr: '',
        timedOut: true,
        error: 'killed at the deadline',
        durationMs,
      };
    }
    const out: Ran = {
      exitCode: r.exitCode,
      stdout: typeof r.stdout === 'string' ? r.stdout : '',
      stderr: typeof r.stderr === 'string' ? r.stderr : '',
      timedOut: false,
      durationMs,
    };
    if (r.exitCode === undefined)
      out.error = r.signal
        ? `killed by ${r.signal}`
        : `could not run: ${r.originalMessage ?? r.shortMessage}`;
    return out;
  } finally {
    deadline.removeEventListener('abort', onDeadline);
    if (gaveUp) clearTimeout(gaveUp);
    sub.catch(() => {});
  }
}
