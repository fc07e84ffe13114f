import {
  type Comparator,
  comparatorSchema,
  defineProbe,
  durationSchema,
  type Json,
  parseDuration,
} from '@faultline/core';
import * as v from 'valibot';
import { type Check, clip, judge, numberComparatorSchema, reason, stringComparatorSchema } from './expect.js';
import { isJsonPath, readJsonPath } from './json-path.js';
import { fetchText } from './request.js';

/** HTTP methods a probe may send. */
export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/**
 * Tunables of `probe/http`. Expectations sit under `expect` because `body` is both what is sent
 * and what is checked.
 */
export const httpTunables = v.object({
  method: v.optional(v.picklist(HTTP_METHODS), 'GET'),
  url: v.pipe(v.string(), v.url(), v.regex(/^https?:\/\//i, 'the url must be http:// or https://')),
  headers: v.optional(v.record(v.string(), v.string())),
  /** The request body. */
  body: v.optional(v.string()),
  /** `ca`: PEM of the CA that signs the server (a private CA); `insecure`: accept any certificate. */
  tls: v.optional(v.object({ ca: v.optional(v.string()), insecure: v.optional(v.boolean(), false) })),
  /** Bound on the whole exchange, below the attempt's timeout (which always applies). */
  responseTimeout: v.optional(durationSchema()),
  expect: v.optional(
    v.object({
      /** Comparator on the status code; without one the status must be 200–399. */
      status: v.optional(numberComparatorSchema),
      /** Comparator on the response body (text). */
      body: v.optional(stringComparatorSchema),
      /** Comparator on one value of a JSON body, found by a simple path (`$.a.b[0]`). */
      json: v.optional(
        v.object({
          path: v.pipe(v.string(), v.check(isJsonPath, "not a JSON path (e.g. $.data.items[0], $['a key'])")),
          comparator: comparatorSchema,
        }),
      ),
    }),
    {},
  ),
});

const DEFAULT_STATUS: Comparator = { type: 'int', criteria: 'between', value: [200, 399] };

/** `probe/http`: one request; passes when the status, body and JSON expectations all hold. */
export const httpProbe = defineProbe({
  kind: 'probe/http',
  summary: 'Sends an HTTP(S) request and compares the status code, the body or a JSON value.',
  tunables: httpTunables,
  async run(ctx) {
    const t = ctx.tunables;
    const signal =
      t.responseTimeout === undefined
        ? ctx.signal
        : AbortSignal.any([ctx.signal, AbortSignal.timeout(parseDuration(t.responseTimeout))]);
    const started = performance.now();
    let answer: Awaited<ReturnType<typeof fetchText>>;
    try {
      answer = await fetchText({
        method: t.method,
        url: new URL(t.url),
        ...(t.headers ? { headers: t.headers } : {}),
        ...(t.body !== undefined ? { body: t.body } : {}),
        ...(t.tls?.ca !== undefined ? { ca: t.tls.ca } : {}),
        ...(t.tls?.insecure ? { insecure: true } : {}),
        signal,
      });
    } catch (e) {
      const why =
        ctx.signal.aborted || !signal.aborted
          ? reason(e, ctx.signal, ctx.timeoutMs)
          : `no answer within responseTimeout ${t.responseTimeout}`;
      return { passed: false, message: `${t.method} ${t.url}: ${why}` };
    }
    const ms = Math.round(performance.now() - started);
    const checks: Check[] = [
      { what: 'status', actual: answer.status, comparator: t.expect.status ?? DEFAULT_STATUS },
    ];
    if (t.expect.body) checks.push({ what: 'body', actual: answer.body, comparator: t.expect.body });
    let picked: Json | undefined;
    if (t.expect.json) {
      const { path, comparator } = t.expect.json;
      let doc: Json | undefined;
      try {
        doc = JSON.parse(answer.body) as Json;
      } catch {
        return {
          passed: false,
          value: answerValue(answer, ms),
          message: `body is not JSON (status ${answer.status}): ${clip(answer.body, 120)}`,
        };
      }
      picked = readJsonPath(doc, path);
      if (picked === undefined) {
        return {
          passed: false,
          value: answerValue(answer, ms),
          message: `JSON path ${path} is absent from the body`,
        };
      }
      // a string comparator sees numbers and booleans as their text; objects as JSON
      const actual =
        comparator.type === 'string' && typeof picked !== 'string' ? JSON.stringify(picked) : picked;
      checks.push({ what: path, actual, comparator });
    }
    const verdict = judge(checks);
    return {
      passed: verdict.passed,
      value: { ...answerValue(answer, ms), ...(picked !== undefined ? { json: picked } : {}) },
      message: `${t.method} ${t.url} → ${answer.status} in ${ms} ms; ${verdict.message}`,
    };
  },
});

function answerValue(
  a: { status: number; body: string; truncated: boolean },
  ms: number,
): { [k: string]: Json } {
  return {
    status: a.status,
    durationMs: ms,
    body: clip(a.body),
    ...(a.truncated ? { truncated: true } : {}),
  };
}
