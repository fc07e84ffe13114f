import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Json } from '../json.js';

/** What the fresh process is told: the journal entry's facts, nothing else. */
export interface FreshRevertRequest {
  pack: string;
  kind: string;
  receipt: Json | undefined;
  runId: string;
  stepId: string;
  iteration: number;
  objectName: string;
  tunables: Json;
  stateDir: string;
  /** Also ask present() afterwards and print it. */
  checkPresent?: boolean;
}

/** What it answered. */
export interface FreshRevertResponse {
  ok: boolean;
  present?: boolean;
  error?: string;
}

/**
 * Runs `revert` in a new `node` process that has only the request (what a sentinel or a recovering
 * host has after `kill -9`). Inside the repo the child runs the packs' TypeScript sources through tsx
 * and the `@faultline/source` condition; published, it runs the built `.js`.
 */
export function revertInFreshProcess(
  req: FreshRevertRequest,
  opts: { cwd?: string; timeoutMs?: number } = {},
): Promise<FreshRevertResponse> {
  const here = import.meta.url;
  const fromSource = here.endsWith('.ts');
  const child = fileURLToPath(new URL(`./revert-child.${fromSource ? 'ts' : 'js'}`, here));
  const args = fromSource ? ['--conditions=@faultline/source', '--import', 'tsx', child] : [child];
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, args, {
      cwd: opts.cwd ?? process.cwd(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as FreshRevertResponse);
      } catch {
        resolve({ ok: false, error: `fresh process exited ${code}: ${err.trim() || out.trim()}` });
      }
    });
    p.stdin.end(JSON.stringify(req));
  });
}
