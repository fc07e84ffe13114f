// Test helper (not exported by the package): a throw-away PKI for the TLS tests.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
  // an EC P-256 key written to `keyout`, unencrypted: the same for the CA and the server
  const newKey = (keyout: string) => [
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    keyout,
  ];
  run('req', '-x509', ...newKey('ca.key'), '-out', 'ca.crt', '-days', '1', '-subj', '/CN=fld test CA');
  run('req', ...newKey('server.key'), '-out', 'server.csr', '-subj', '/CN=localhost');
  const ext = join(dir, 'san.ext');
  writeFileSync(ext, 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
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
