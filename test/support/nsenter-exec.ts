// Runs a command inside a container by entering every namespace of its PID 1 (no shell, no ssh).
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

/** What a command run in the container printed and how it ended (128 + signal number when killed). */
export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Options of an exec in the container. */
export interface ExecOptions {
  /** Default 30 s; past it the command is killed and the exec rejects. */
  timeoutMs?: number;
  /** Written to the command's stdin (otherwise stdin is /dev/null). */
  input?: string;
  /** Added to the clean environment (PATH, HOME=/root, LANG=C.UTF-8). */
  env?: Record<string, string>;
}

/** Not the test's environment: NODE_OPTIONS, vitest's variables and the host's PATH have no place inside. */
const CONTAINER_ENV = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  HOME: '/root',
  LANG: 'C.UTF-8',
};

/** Runs `argv` in all namespaces of host pid `pid1`; resolves whatever the exit code, rejects on timeout. */
export function nsenterExec(pid1: number, argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const child = spawn('nsenter', ['-t', String(pid1), '-a', '--', ...argv], {
      detached: true, // a group of its own: nsenter forks into the PID namespace, a timeout kills both
      env: { ...CONTAINER_ENV, ...opts.env },
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => {
      stdout += d;
    });
    child.stderr!.on('data', (d) => {
      stderr += d;
    });
    child.stdin?.end(opts.input);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      process.kill(-child.pid!, 'SIGKILL');
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) reject(new Error(`${argv.join(' ')}: no end within ${timeoutMs} ms\n${stdout}${stderr}`));
      else resolve({ exitCode: code ?? 128 + (signal ? constants.signals[signal] : 0), stdout, stderr });
    });
  });
}
