import { durationSchema, parseDuration } from '@faultline/core';
import * as v from 'valibot';
import { toxicFault } from './toxic-fault.js';

/** The request filter of every HTTP fault: method, path (exact, or a prefix ending in `*`), headers. */
const match = {
  method: v.optional(v.string(), ''),
  path: v.optional(v.string(), ''),
  headers: v.optional(v.record(v.string(), v.string()), {}),
};
type M = { method: string; path: string; headers: Record<string, string> };
const matchOf = (t: M) => ({ method: t.method, path: t.path, headers: t.headers });

/** `proxy/http-status`: matching requests get `status` (and `body`) at once; the upstream never sees them. */
export const proxyHttpStatus = toxicFault({
  kind: 'proxy/http-status',
  summary: 'Answers matching HTTP requests through an http proxy with a status code',
  type: 'http_status',
  tunables: {
    ...match,
    status: v.pipe(v.number(), v.integer(), v.minValue(100), v.maxValue(599)),
    body: v.optional(v.string(), ''),
  },
  attributes: (t) => ({ ...matchOf(t), status: t.status, body: t.body }),
});

/** `proxy/http-delay`: matching requests wait `delay` before they go upstream. */
export const proxyHttpDelay = toxicFault({
  kind: 'proxy/http-delay',
  summary: 'Delays matching HTTP requests through an http proxy',
  type: 'http_delay',
  tunables: { ...match, delay: durationSchema() },
  attributes: (t) => ({ ...matchOf(t), delay: Math.round(parseDuration(t.delay)) }),
});

/** `proxy/http-abort`: matching requests get their connection reset, no answer. */
export const proxyHttpAbort = toxicFault({
  kind: 'proxy/http-abort',
  summary: 'Resets the connection of matching HTTP requests through an http proxy',
  type: 'http_abort',
  tunables: { ...match },
  attributes: (t) => matchOf(t),
});

/** `proxy/http-body`: matching requests get the upstream's answer with `body` instead of its body. */
export const proxyHttpBody = toxicFault({
  kind: 'proxy/http-body',
  summary: 'Replaces the response body of matching HTTP requests through an http proxy',
  type: 'http_body',
  tunables: { ...match, body: v.string(), contentType: v.optional(v.string(), '') },
  attributes: (t) => ({ ...matchOf(t), body: t.body, content_type: t.contentType }),
});

/** `proxy/http-header`: sets and removes headers of matching requests or of their responses. */
export const proxyHttpHeader = toxicFault({
  kind: 'proxy/http-header',
  summary: 'Sets or removes headers of matching HTTP requests or responses through an http proxy',
  type: 'http_header',
  tunables: {
    ...match,
    target: v.optional(v.picklist(['request', 'response']), 'response'),
    set: v.optional(v.record(v.string(), v.string()), {}),
    remove: v.optional(v.array(v.string()), []),
  },
  attributes: (t) => ({ ...matchOf(t), target: t.target, set_headers: t.set, remove_headers: t.remove }),
});
