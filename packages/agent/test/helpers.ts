// Test helpers of @faultline/agent: temp dirs, a runtime with the real packs, a fill fault aimed at a
// temp dir (a real fault that is safe in the test's own process), polling.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRuntime, type ExperimentSpec, type RuntimeOptions } from '@faultline/core';
import linuxPack from '@faultline/faults-linux';
import probesPack from '@faultline/probes';
import { afterAll } from 'vitest';

/** A token for the tests' agents. */
export const TOKEN = randomBytes(24).toString('hex');
/** The header that carries it. */
export const AUTH = { authorization: `Bearer ${TOKEN}` };

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** A temp dir removed after the file's tests. */
export async function tempDir(prefix = 'flagent-'): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

/** A runtime with the packs an agent registers by default, in its own state dir; no sentinel, no signal handlers. */
export async function packRuntime(opts: RuntimeOptions = {}) {
  return createRuntime({
    packs: [linuxPack, probesPack],
    stateDir: await tempDir('flagent-state-'),
    sentinel: false,
    signals: false,
    ...opts,
  });
}

/**
 * One `linux/disk-fill` of 1 MiB into `dir` for `duration`: real, reverted, and visible as a file.
 * Plain JSON, not validated here (the tests send bad ones on purpose).
 */
export function fillSpec(dir: string, duration = '300ms', name = 'fill'): ExperimentSpec {
  return {
    apiVersion: 'faultline/v1',
    kind: 'Experiment',
    metadata: { name },
    spec: {
      steps: [
        {
          faults: [
            {
              id: 'fill',
              kind: 'linux/disk-fill',
              tunables: { path: dir, size: '1MiB', safetyFloor: '1MiB' },
              duration,
            },
          ],
        },
      ],
    },
  };
}

/** The files in a dir (a fill fault leaves one while in effect). */
export const filesIn = (dir: string) => readdir(dir);

/** Polls `cond` every 20 ms; throws after `ms`. */
export async function until(
  what: string,
  cond: () => Promise<boolean> | boolean,
  ms = 10_000,
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A self-signed certificate for 127.0.0.1 (it is its own CA), made with the openssl CLI. */
export async function selfSignedCert(): Promise<{ key: string; cert: string }> {
  const dir = await tempDir('flagent-tls-');
  const args =
    'req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=127.0.0.1';
  execFileSync(
    'openssl',
    [...args.split(' '), '-keyout', 'key.pem', '-out', 'cert.pem', '-addext', 'subjectAltName=IP:127.0.0.1'],
    {
      cwd: dir,
      stdio: 'pipe',
    },
  );
  const { readFileSync } = await import('node:fs');
  return {
    key: readFileSync(join(dir, 'key.pem'), 'utf8'),
    cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
  };
}

/** A response's JSON body, untyped (the tests check its shape). */
export async function body(res: Response | Promise<Response>): Promise<any> {
  return (await res).json();
}
