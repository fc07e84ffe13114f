// Test helpers (not exported by the package): run a probe definition the way the runner does.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ProbeDefinition, type ProbeOutcome, parseTunables, silentLogger } from '@faultline/core';

/** Runs one attempt of a probe with validated tunables and a signal that fires at `timeoutMs`. */
export async function runProbe(
  def: ProbeDefinition<any>,
  tunables: unknown,
  timeoutMs = 5000,
): Promise<ProbeOutcome & { ms: number }> {
  const parsed = parseTunables(def, tunables);
  const started = performance.now();
  const out = await def.run({
    tunables: parsed,
    signal: AbortSignal.timeout(timeoutMs),
    timeoutMs,
    log: silentLogger,
    runId: 'fldtest',
    stepId: 'probe',
  });
  return { ...out, ms: performance.now() - started };
}

/** A private CA and a server certificate for 127.0.0.1/localhost, made with the openssl CLI. */
export interface TestPki {
  dir: string;
  caCert: string;
  serverKey: string;
  serverCert: string;
  cleanup(): void;
}

/** Makes a throw-away CA and a server certificate it signs (subjectAltName 127.0.0.1, localhost). */
export function makePki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'fld-pki-'));
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '1',
    '-subj',
    '/CN=fld test CA',
  );
  run(
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
    '-subj',
    '/CN=localhost',
  );
  const ext = join(dir, 'san.ext');
  execFileSync('sh', ['-c', `printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > ${ext}`]);
  run(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    '1',
    '-extfile',
    'san.ext',
  );
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  return {
    dir,
    caCert: read('ca.crt'),
    serverKey: read('server.key'),
    serverCert: read('server.crt'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
