import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

/** A real host process running test/child-run.ts, and a way to wait for what it says. */
export interface Host {
  child: ChildProcess;
  /** Resolves with the first line that has this key (injecting, injected, reverting, verdict). */
  waitFor(key: string, timeoutMs?: number): Promise<Record<string, any>>;
  /** Resolves with how it ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

export function startHost(stateDir: string, dir: string, opts: Record<string, unknown> = {}): Host {
  const child = spawn(
    process.execPath,
    [
      '--conditions=@faultline/source',
      '--import',
      'tsx',
      fileURLToPath(new URL('./child-run.ts', import.meta.url)),
      stateDir,
      dir,
      JSON.stringify(opts),
    ],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines: Record<string, any>[] = [];
  const waiters: Array<() => void> = [];
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => {
    out += d;
    let i = out.indexOf('\n');
    while (i >= 0) {
      lines.push(JSON.parse(out.slice(0, i)));
      out = out.slice(i + 1);
      i = out.indexOf('\n');
    }
    for (const w of waiters.splice(0)) w();
  });
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.on('exit', (code, signal) => r({ code, signal })),
  );
  void exited.then(() => {
    for (const w of waiters.splice(0)) w();
  });
  return {
    child,
    exited,
    stderr: () => err,
    async waitFor(key, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = lines.find((l) => key in l);
        if (hit) return hit;
        if (child.exitCode !== null || child.signalCode !== null)
          throw new Error(`host ended before '${key}': ${err}`);
        if (Date.now() > deadline) throw new Error(`host said no '${key}' within ${timeoutMs} ms: ${err}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 100);
        });
      }
    },
  };
}

/** Polls until `check` is true or the deadline passes; returns the time it took, or throws. */
export async function within(
  ms: number,
  what: string,
  check: () => boolean | Promise<boolean>,
): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    if (await check()) return performance.now() - t0;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${what} did not happen within ${ms} ms`);
}

/** Is a pid alive (not a zombie)? */
export function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(') ') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
