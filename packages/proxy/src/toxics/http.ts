import * as v from 'valibot';
import { matchAttributes } from '../http/match.js';
import { defineToxicType, uint } from '../toxic-type.js';

const headerMap = v.optional(v.record(v.string(), v.string()), {});

/** `http_status`: answers matching requests with `status` (and `body`, `set_headers`) — the upstream never sees them. */
export const httpStatusToxic = defineToxicType({
  type: 'http_status',
  protocols: ['http'],
  attributes: v.object({
    ...matchAttributes,
    status: v.optional(v.pipe(v.number(), v.integer(), v.minValue(100), v.maxValue(599)), 500),
    body: v.optional(v.string(), ''),
    set_headers: headerMap,
  }),
  http: (a) => ({ kind: 'respond', status: a.status, headers: a.set_headers, body: a.body }),
});

/** `http_delay`: holds matching requests `delay` ms before they go upstream. */
export const httpDelayToxic = defineToxicType({
  type: 'http_delay',
  protocols: ['http'],
  attributes: v.object({ ...matchAttributes, delay: uint(0) }),
  http: (a) => ({ kind: 'delay', ms: a.delay }),
});

/** `http_abort`: resets the client's connection on matching requests, no answer. */
export const httpAbortToxic = defineToxicType({
  type: 'http_abort',
  protocols: ['http'],
  attributes: v.object({ ...matchAttributes }),
  http: () => ({ kind: 'abort' }),
});

/** `http_body`: replaces the upstream's response body on matching requests. */
export const httpBodyToxic = defineToxicType({
  type: 'http_body',
  protocols: ['http'],
  attributes: v.object({
    ...matchAttributes,
    body: v.optional(v.string(), ''),
    /** '' keeps the upstream's Content-Type. */
    content_type: v.optional(v.string(), ''),
  }),
  http: (a) => ({ kind: 'body', body: a.body, contentType: a.content_type }),
});

/** `http_header`: sets and removes headers of the request (`target: request`) or the response. */
export const httpHeaderToxic = defineToxicType({
  type: 'http_header',
  protocols: ['http'],
  attributes: v.object({
    ...matchAttributes,
    target: v.optional(v.picklist(['request', 'response']), 'response'),
    set_headers: headerMap,
    remove_headers: v.optional(v.array(v.string()), []),
  }),
  http: (a) => ({ kind: 'headers', target: a.target, set: a.set_headers, remove: a.remove_headers }),
});
