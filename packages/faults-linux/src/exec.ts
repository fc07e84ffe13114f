import { execa } from 'execa';

/** What a command returned. Never throws for a non-zero exit: callers decide what an exit code means. */
export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** The argv as run, for error messages and manual text. */
  command: string;
}

/** Options of {@link run}. */
export interface RunOptions {
  /** Written to stdin (e.g. an nft script for `nft -f -`). */
  input?: string;
  signal?: AbortSignal;
  /** Default 30 s: a command that hangs must not hang a revert. */
  timeoutMs?: number;
  /** Run inside this named network namespace (`ip netns exec NAME ...`). */
  netns?: string;
}

/**
 * Runs a command from an argv array (never a shell): every tunable that reaches here was checked
 * by a strict schema, and argv keeps it from being interpreted anyway.
 */
export async function run(
  file: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<CommandResult> {
  const [cmd, argv] = opts.netns ? ['ip', ['netns', 'exec', opts.netns, file, ...args]] : [file, [...args]];
  const r = await execa(cmd, argv, {
    reject: false,
    ...(opts.input === undefined ? {} : { input: opts.input }),
    ...(opts.signal ? { cancelSignal: opts.signal } : {}),
    timeout: opts.timeoutMs ?? 30_000,
    stripFinalNewline: true,
    env: { LC_ALL: 'C' },
  });
  return {
    exitCode: r.exitCode ?? (r.failed ? 1 : 0),
    stdout: String(r.stdout ?? ''),
    stderr: String(r.stderr ?? r.message ?? ''),
    command: [cmd, ...argv].map(quoteArg).join(' '),
  };
}

/** Quotes one argv element for the manual text a person copies into a shell. */
export function quoteArg(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}
