import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { isFaultlineError } from '@faultline/core';
import { runProbe } from '@faultline/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePki, type TestPki } from '../test/pki.js';
import { httpProbe } from './http.js';

function handler(req: IncomingMessage, res: ServerResponse) {
  const url = new URL(req.url ?? '/', 'http://x');
  const send = (status: number, body: string, type = 'text/plain') => {
    res.writeHead(status, { 'content-type': type });
    res.end(body);
  };
  switch (url.pathname) {
    case '/ok':
      return send(200, 'all ok');
    case '/err':
      return send(500, 'boom');
    case '/json':
      return send(
        200,
        JSON.stringify({ a: { b: [7, 'x'] }, status: 'up', 'odd key': true }),
        'application/json',
      );
    case '/slow':
      return void setTimeout(() => send(200, 'late ok'), Number(url.searchParams.get('ms') ?? 300));
    case '/hang':
      return; // never answers: the probe must give up at its timeout
    case '/echo': {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => send(201, `${req.method} ${req.headers['x-probe'] ?? '-'} ${body}`));
      return;
    }
    default:
      return send(404, 'no');
  }
}

let server: Server;
let base = '';
let tlsServer: Server;
let tlsBase = '';
let pki: TestPki;
let otherPki: TestPki;

const listen = (s: Server) =>
  new Promise<number>((r) => s.listen(0, '127.0.0.1', () => r((s.address() as AddressInfo).port)));
const close = (s: Server) => {
  s.closeAllConnections();
  return new Promise((r) => s.close(r));
};

beforeAll(async () => {
  server = createServer(handler);
  base = `http://127.0.0.1:${await listen(server)}`;
  // made before the concurrent tests: openssl runs synchronously and would stall their timers
  pki = makePki();
  otherPki = makePki();
  tlsServer = createTlsServer({ key: pki.serverKey, cert: pki.serverCert }, handler);
  tlsBase = `https://127.0.0.1:${await listen(tlsServer)}`;
});
afterAll(async () => {
  await Promise.all([close(server), close(tlsServer)]);
  pki.cleanup();
  otherPki.cleanup();
});

describe.concurrent('probe/http', () => {
  it('passes on 2xx by default and fails on a 500', async () => {
    const ok = await runProbe(httpProbe, { url: `${base}/ok` });
    expect(ok.passed).toBe(true);
    expect(ok.value).toMatchObject({ status: 200, body: 'all ok' });
    const err = await runProbe(httpProbe, { url: `${base}/err` });
    expect(err.passed).toBe(false);
    expect(err.message).toContain('500');
  });

  // every number criterion, on the status code 200, once where it holds and once where it does not
  const statusCases: [string, unknown, unknown][] = [
    ['==', 200, 201],
    ['!=', 404, 200],
    ['>=', 200, 201],
    ['<=', 200, 199],
    ['>', 199, 200],
    ['<', 201, 200],
    ['oneOf', [200, 204], [201, 204]],
    ['between', [200, 299], [300, 399]],
  ];
  for (const [criteria, pass, fail] of statusCases) {
    it(`status ${criteria}`, async () => {
      const yes = await runProbe(httpProbe, {
        url: `${base}/ok`,
        expect: { status: { type: 'int', criteria, value: pass } },
      });
      const no = await runProbe(httpProbe, {
        url: `${base}/ok`,
        expect: { status: { type: 'int', criteria, value: fail } },
      });
      expect([yes.passed, no.passed], `${yes.message} / ${no.message}`).toEqual([true, false]);
    });
  }

  const bodyCases: [string, unknown, unknown][] = [
    ['equal', 'all ok', 'all'],
    ['notEqual', 'nope', 'all ok'],
    ['contains', 'l o', 'ko'],
    ['matches', '^all\\s+ok$', '^ok'],
    ['notMatches', 'error', 'o+k'],
    ['oneOf', ['x', 'all ok'], ['x', 'y']],
  ];
  for (const [criteria, pass, fail] of bodyCases) {
    it(`body ${criteria}`, async () => {
      const yes = await runProbe(httpProbe, {
        url: `${base}/ok`,
        expect: { body: { type: 'string', criteria, value: pass } },
      });
      const no = await runProbe(httpProbe, {
        url: `${base}/ok`,
        expect: { body: { type: 'string', criteria, value: fail } },
      });
      expect([yes.passed, no.passed], `${yes.message} / ${no.message}`).toEqual([true, false]);
    });
  }

  it('compares a JSON value at a path, numbers and strings', async () => {
    const at = (path: string, comparator: unknown) =>
      runProbe(httpProbe, { url: `${base}/json`, expect: { json: { path, comparator } } });
    expect((await at('$.a.b[0]', { type: 'int', criteria: '==', value: 7 })).passed).toBe(true);
    expect((await at('$.a.b[0]', { type: 'float', criteria: '>', value: 7 })).passed).toBe(false);
    expect((await at('$.a.b[-1]', { type: 'string', criteria: 'equal', value: 'x' })).passed).toBe(true);
    expect((await at("$['odd key']", { type: 'string', criteria: 'equal', value: 'true' })).passed).toBe(
      true,
    );
    expect((await at('$.status', { type: 'string', criteria: 'oneOf', value: ['up', 'ok'] })).passed).toBe(
      true,
    );
    const missing = await at('$.a.c', { type: 'int', criteria: '==', value: 1 });
    expect(missing.passed).toBe(false);
    expect(missing.message).toContain('absent');
    const notJson = await runProbe(httpProbe, {
      url: `${base}/ok`,
      expect: { json: { path: '$.a', comparator: { type: 'int', criteria: '==', value: 1 } } },
    });
    expect(notJson.message).toContain('not JSON');
  });

  it('sends method, headers and body', async () => {
    const r = await runProbe(httpProbe, {
      method: 'POST',
      url: `${base}/echo`,
      headers: { 'x-probe': 'fld' },
      body: 'payload',
      expect: {
        status: { type: 'int', criteria: '==', value: 201 },
        body: { type: 'string', criteria: 'equal', value: 'POST fld payload' },
      },
    });
    expect(r.passed, r.message).toBe(true);
  });

  it('fails at its timeout against a hung server, not later', async () => {
    const r = await runProbe(httpProbe, { url: `${base}/hang` }, 500);
    expect(r.passed).toBe(false);
    expect(r.message).toContain('timeout');
    expect(r.ms).toBeGreaterThanOrEqual(490);
    // the server never answers, so any bound proves the timeout; 1.5 s leaves room for a busy CI loop
    expect(r.ms).toBeLessThan(1500);
  });

  it('responseTimeout bounds a slow answer below the attempt timeout', async () => {
    // the server answers after 4 s: well apart from the 150 ms bound, so a busy loop cannot blur the two
    const slow = await runProbe(httpProbe, { url: `${base}/slow?ms=4000`, responseTimeout: '150ms' }, 5000);
    expect(slow.passed).toBe(false);
    expect(slow.message).toContain('responseTimeout');
    expect(slow.ms).toBeLessThan(1500);
    const quick = await runProbe(httpProbe, { url: `${base}/slow?ms=50`, responseTimeout: '2s' });
    expect(quick.passed, quick.message).toBe(true);
  });

  it('fails with the reason when nothing listens', async () => {
    const probe = createServer();
    const port = await listen(probe);
    await close(probe);
    const r = await runProbe(httpProbe, { url: `http://127.0.0.1:${port}/` });
    expect(r.passed).toBe(false);
    expect(r.message).toContain('ECONNREFUSED');
  });

  it('TLS: trusts a private CA given as PEM, rejects without it, accepts anything when insecure', async () => {
    const withCa = await runProbe(httpProbe, { url: `${tlsBase}/ok`, tls: { ca: pki.caCert } });
    expect(withCa.passed, withCa.message).toBe(true);
    const noCa = await runProbe(httpProbe, { url: `${tlsBase}/ok` });
    expect(noCa.passed).toBe(false);
    expect(noCa.message).toMatch(/certificate/i);
    const insecure = await runProbe(httpProbe, { url: `${tlsBase}/ok`, tls: { insecure: true } });
    expect(insecure.passed, insecure.message).toBe(true);
    // a CA that did not sign the server is refused too
    const wrongCa = await runProbe(httpProbe, { url: `${tlsBase}/ok`, tls: { ca: otherPki.caCert } });
    expect(wrongCa.passed).toBe(false);
  });

  it('rejects a string comparator on the status and a bad JSON path before running', async () => {
    const bad = (t: unknown) =>
      runProbe(httpProbe, t).then(
        () => 'ran',
        (e) => (isFaultlineError(e, 'FL_TUNABLES') ? 'FL_TUNABLES' : String(e)),
      );
    expect(
      await bad({
        url: `${base}/ok`,
        expect: { status: { type: 'string', criteria: 'equal', value: '200' } },
      }),
    ).toBe('FL_TUNABLES');
    expect(
      await bad({
        url: `${base}/ok`,
        expect: { json: { path: 'a.b', comparator: { type: 'int', criteria: '==', value: 1 } } },
      }),
    ).toBe('FL_TUNABLES');
    expect(await bad({ url: 'ftp://x/' })).toBe('FL_TUNABLES');
  });
});
