import { defineProbe, type Json } from '@faultline/core';
import * as v from 'valibot';
import { clip, judge, numberComparatorSchema, reason } from './expect.js';
import { fetchText } from './request.js';

/** Tunables of `probe/prometheus`. */
export const prometheusTunables = v.object({
  /** The server's base URL (`http://prometheus:9090`); the probe calls `/api/v1/query` under it. */
  endpoint: v.pipe(v.string(), v.url(), v.regex(/^https?:\/\//i, 'the endpoint must be http:// or https://')),
  /** A PromQL instant query that yields one number (a scalar or a one-series vector). */
  query: v.pipe(v.string(), v.minLength(1)),
  /** Comparator on the value (a float). */
  value: numberComparatorSchema,
  /** What an empty result means: `fail` (default: no data is no evidence) or `pass`. */
  noData: v.optional(v.picklist(['fail', 'pass']), 'fail'),
  headers: v.optional(v.record(v.string(), v.string())),
  tls: v.optional(v.object({ ca: v.optional(v.string()), insecure: v.optional(v.boolean(), false) })),
});

type Sample = [number, string];
interface QueryAnswer {
  status: 'success' | 'error';
  error?: string;
  data?: { resultType: 'vector' | 'scalar' | 'matrix' | 'string'; result: unknown };
}

/** `probe/prometheus`: runs a PromQL instant query and compares its value. */
export const prometheusProbe = defineProbe({
  kind: 'probe/prometheus',
  summary: 'Runs a PromQL instant query (/api/v1/query) and compares the value with a float comparator.',
  tunables: prometheusTunables,
  async run(ctx) {
    const t = ctx.tunables;
    const url = new URL('api/v1/query', t.endpoint.endsWith('/') ? t.endpoint : `${t.endpoint}/`);
    url.searchParams.set('query', t.query);
    let text: string;
    let status: number;
    try {
      const a = await fetchText({
        method: 'GET',
        url,
        signal: ctx.signal,
        ...(t.headers ? { headers: t.headers } : {}),
        ...(t.tls?.ca !== undefined ? { ca: t.tls.ca } : {}),
        ...(t.tls?.insecure ? { insecure: true } : {}),
      });
      text = a.body;
      status = a.status;
    } catch (e) {
      return { passed: false, message: `prometheus ${t.endpoint}: ${reason(e, ctx.signal, ctx.timeoutMs)}` };
    }
    let answer: QueryAnswer;
    try {
      answer = JSON.parse(text) as QueryAnswer;
    } catch {
      return {
        passed: false,
        message: `prometheus answered ${status} with a body that is not JSON: ${clip(text, 160)}`,
      };
    }
    if (answer.status !== 'success' || !answer.data) {
      return {
        passed: false,
        message: `prometheus rejected the query ${JSON.stringify(t.query)}: ${answer.error ?? `HTTP ${status}`}`,
      };
    }
    const { resultType, result } = answer.data;
    let sample: string | undefined;
    let series = 0;
    if (resultType === 'scalar') {
      sample = (result as Sample)[1];
      series = 1;
    } else if (resultType === 'vector') {
      const vec = result as { metric: Record<string, string>; value: Sample }[];
      series = vec.length;
      sample = vec[0]?.value[1];
    } else {
      return {
        passed: false,
        message: `the query returns a ${resultType}; use an instant query that yields one number`,
      };
    }
    if (sample === undefined) {
      const passed = t.noData === 'pass';
      return {
        passed,
        value: null,
        message: `query ${JSON.stringify(t.query)} returned no data (noData: ${t.noData})`,
      };
    }
    const n = Number(sample.replace(/^\+Inf$/, 'Infinity'));
    const value: Json = Number.isFinite(n) ? n : sample;
    const verdict = judge([{ what: 'value', actual: value, comparator: t.value }]);
    const extra = series > 1 ? ` (first of ${series} series)` : '';
    return {
      passed: verdict.passed,
      value,
      message: `query ${JSON.stringify(t.query)} = ${sample}${extra}; ${verdict.message}`,
    };
  },
});
