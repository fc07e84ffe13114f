// The fuzz's generators: hostile values that a schema must refuse, specs with exactly one hostile
// spot, hostile paths and bodies, and requests broken at the HTTP level.
import fc from 'fast-check';
import { fillSpec } from './helpers.js';

// ---- hostile values: each one is something a schema must refuse ----
const META = [';', '|', '&', '$(', '`', '\n', "'", '"', ' ', '>', '<', '*', '\\', '\u0000'];
const shellish = fc
  .tuple(fc.string({ maxLength: 12 }), fc.constantFrom(...META), fc.string({ maxLength: 12 }))
  .map(([a, m, b]) => `${a}${m}${b}`);
const traversal = fc.constantFrom(
  '/tmp/../etc',
  '/tmp/x/../../etc/shadow',
  '/tmp/%2e%2e/etc',
  '/var/tmp/../../root',
  'tmp',
  '../../etc',
  '/etc',
  '/proc/self',
  '/sys/fs/cgroup',
  '/',
  '/tmp/$(id)',
  '/tmp/a b',
  '/tmp/`reboot`',
);
// (not 1e-400 or -0: they parse to 0, a valid percent — the tripwire caught that generator bug)
const hugeNumber = fc.constantFrom('1e400', '-1e400', '123456789012345678901234567890');
const hostileDuration = fc.oneof(
  fc.constantFrom('forever', '10s; reboot', '-5s', '1e400', '', 'NaN', '10 s'),
  hugeNumber.map((n) => ({ raw: n })),
  fc.integer({ max: -1 }),
);
/** A JSON value standing in for a typed field: wrong type, or absurd. */
const wrongType = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }),
  hugeNumber.map((n) => ({ raw: n })),
);

/** One fault, valid except for exactly one hostile field. */
const hostileFault = fc.oneof(
  fc.record({
    kind: fc.constant('linux/network-loss'),
    tunables: fc.oneof(
      shellish.map((x) => ({ interfaces: [x], percent: 30 })),
      fc.string({ minLength: 16, maxLength: 40 }).map((x) => ({ interfaces: [`e${x}`], percent: 30 })),
      shellish.map((x) => ({ destinationIps: [x], percent: 30 })),
      fc
        .constantFrom('10.0.0.1/33', '999.1.1.1', '10.0.0.1; nft flush ruleset')
        .map((x) => ({ destinationIps: [x], percent: 30 })),
      fc
        .oneof(
          fc.constantFrom(101, -1, 'lots', '30%%'),
          hugeNumber.map((n) => ({ raw: n })),
        )
        .map((p) => ({ percent: p })),
      shellish.map((x) => ({ namespace: x, percent: 30 })),
      fc
        .constantFrom(70000, '1-2-3', '22;', 0)
        .map((p) => ({ destinationPorts: [p], protocol: 'tcp', percent: 30 })),
      shellish.map((x) => ({ protocol: x, percent: 30 })),
    ),
  }),
  fc.record({
    kind: fc.constant('linux/disk-fill'),
    tunables: fc.oneof(
      traversal.map((path) => ({ path, size: '1MiB' })),
      fc.constantFrom(['/'], ['/etc'], ['/proc'], ['/tmp/../etc'], ['relative']).map((allowedRoots) => ({
        path: '/tmp',
        size: '1MiB',
        allowedRoots,
      })),
      fc
        .oneof(
          fc.constantFrom('huge', '1 GiB; rm', -1),
          hugeNumber.map((n) => ({ raw: n })),
        )
        .map((size) => ({
          path: '/tmp',
          size,
        })),
    ),
  }),
  fc.record({
    kind: fc.constant('linux/cpu-stress'),
    tunables: fc.oneof(
      fc
        .oneof(
          fc.constantFrom(-5, 'max', 1000),
          hugeNumber.map((n) => ({ raw: n })),
        )
        .map((load) => ({ load })),
      shellish.map((cpus) => ({ cpus })),
      fc.constantFrom(-1, 1.5, 'all').map((workers) => ({ workers })),
    ),
  }),
  fc.record({
    kind: fc.oneof(shellish, fc.constantFrom('linux/../../etc', 'LINUX/X', 'linux/nope')),
    tunables: fc.constant({}),
  }),
);

type Json = unknown;
/** A spec with one hostile spot: in a fault, a duration, a step id, the shape, the envelope. */
const hostileSpec: fc.Arbitrary<Json> = fc.oneof(
  hostileFault.map((f) => withFault({ ...f, id: 'f', duration: '1s' })),
  hostileDuration.map((duration) =>
    withFault({ kind: 'linux/disk-fill', id: 'f', tunables: { path: '/tmp', size: '1MiB' }, duration }),
  ),
  fc
    .oneof(shellish, fc.constantFrom('../x', 'A', 'x'.repeat(30), ''))
    .map((id) => withFault({ kind: 'linux/disk-fill', id, tunables: { path: '/tmp', size: '1MiB' } })),
  fc
    .record({ field: fc.constantFrom('apiVersion', 'kind', 'metadata', 'spec'), value: wrongType })
    .map(({ field, value }) => ({
      ...fillSpec('/tmp'),
      [field]: value,
    })),
  wrongType.map((steps) => ({ ...fillSpec('/tmp'), spec: { steps } })),
  wrongType.map((tunables) => withFault({ kind: 'linux/disk-fill', id: 'f', tunables })),
  fc.oneof(hostileDuration, wrongType).map((expiry) => ({ ...fillSpec('/tmp'), lease: { expiry } })),
  fc.oneof(shellish, traversal, wrongType).map((id) => ({ ...fillSpec('/tmp'), id })),
);

function withFault(fault: Record<string, unknown>): Json {
  const base = fillSpec('/tmp') as { spec: { steps: unknown[] } };
  return { ...base, spec: { steps: [{ faults: [fault] }] } };
}

/** JSON text, where `{ raw: '1e400' }` becomes the bare number text (JSON.stringify cannot write it). */
function toText(value: Json): string {
  return JSON.stringify(value).replace(/\{"raw":"([^"]*)"\}/g, '$1');
}

const segments = fc.constantFrom(
  'v1',
  'runs',
  'info',
  'lease',
  'abort',
  'events',
  '..',
  '%2e%2e',
  'etc',
  'passwd',
  '%00',
  'healthz',
  'openapi.json',
  'x'.repeat(300),
  '00000000-0000-0000-0000-000000000000',
);
const hostilePath = fc
  .array(segments, { minLength: 1, maxLength: 6 })
  .map((s) => `/${s.join('/')}`)
  .chain((p) => fc.constantFrom(p, `${p}?after=-1`, `${p}?limit=9999`, `${p}?after=1e400`));

/** One request of the fuzz. */
export interface Req {
  method: string;
  path: string;
  auth: 'ok' | 'none' | 'wrong';
  body: string | Buffer | undefined;
}

/** Answers that would be a success for a well-formed request: never generated. */
function wouldSucceed(r: Req): boolean {
  // as the server sees it: `..` and `%2e%2e` segments resolved
  const path = new URL(r.path, 'http://agent').pathname;
  if (r.method === 'GET' && (path === '/healthz' || path === '/openapi.json')) return true;
  return (
    r.auth === 'ok' &&
    r.method === 'GET' &&
    (path === '/v1/info' || (path === '/v1/runs' && !r.path.includes('?')))
  );
}

/** Well-formed HTTP with hostile content: specs, bodies, paths, tokens (never a request that should succeed). */
export const fastRequest = (bodyLimit: number): fc.Arbitrary<Req> =>
  fc.oneof(
    // hostile specs, mostly with the right token so that validation is what answers
    fc.record({
      method: fc.constant('POST'),
      path: fc.constant('/v1/runs'),
      auth: fc.constantFrom<Req['auth']>('ok', 'ok', 'ok', 'ok', 'none', 'wrong'),
      body: hostileSpec.map(toText),
    }),
    // bodies that are not JSON, truncated JSON, binary, too deep, too large
    fc.record({
      method: fc.constant('POST'),
      path: fc.constantFrom('/v1/runs', '/v1/runs/00000000-0000-0000-0000-000000000000/abort'),
      auth: fc.constant<Req['auth']>('ok'),
      body: fc.oneof(
        fc.string({ minLength: 1 }).filter((s) => s.trim() !== '' && !isJson(s)),
        hostileSpec.map(toText).map((t) => t.slice(0, Math.max(1, t.length - 3))),
        fc.uint8Array({ minLength: 1, maxLength: 200 }).map((b) => Buffer.from(b)),
        fc.integer({ min: 65, max: 400 }).map((d) => '['.repeat(d) + ']'.repeat(d)),
        fc.constant(`{"pad":"${'x'.repeat(bodyLimit)}"}`),
      ),
    }),
    // unknown routes, traversal in paths, wrong methods, with and without a token
    fc
      .record({
        method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'),
        path: hostilePath,
        auth: fc.constantFrom<Req['auth']>('ok', 'none', 'wrong'),
        body: fc.option(hostileSpec.map(toText), { nil: undefined }),
      })
      .filter((r) => !wouldSucceed(r)),
  );

function isJson(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}

/** Requests written on a raw socket: bodies that stall, chunked bodies over the limit, broken HTTP. */
export const slowRequest = (token: string, bodyLimit: number): fc.Arbitrary<string> =>
  fc.oneof(
    // a body announced, a few bytes sent, then nothing: 408 once the body timeout passes
    fc
      .record({ declared: fc.integer({ min: 20, max: 5000 }), sent: fc.integer({ min: 0, max: 10 }) })
      .map(
        ({ declared, sent }) =>
          `POST /v1/runs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${declared}\r\n\r\n${'{'.repeat(sent)}`,
      ),
    // chunked and over the limit: 413 although no length was announced
    fc.constant<string>(
      `POST /v1/runs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nTransfer-Encoding: chunked\r\n\r\n${`${(bodyLimit + 10).toString(16)}\r\n${'x'.repeat(bodyLimit + 10)}\r\n`}0\r\n\r\n`,
    ),
    // not HTTP at all, or broken HTTP: node's parser refuses it, the agent still answers in JSON
    fc.constantFrom(
      'GET /v1/runs HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n',
      'GARBAGE\r\n\r\n',
      'GET / HTTP/9.9\r\n\r\n',
      `GET /v1/runs HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      'POST /v1/runs HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello',
      'POST /v1/runs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
    ),
  );
