import { type DurationInput, parseDuration, parsePercent, parseSize, type SizeInput } from '@faultline/core';
import type { Distribution } from './jitter.js';
import type { Stream } from './toxic-type.js';

/** A toxic to add: the body `POST /proxies/{name}/toxics` takes (a name is given when added). */
export interface ToxicSpec {
  type: string;
  stream: Stream;
  toxicity: number;
  attributes: Record<string, unknown>;
}
/** The proxy taken down (Toxiproxy's `enabled: false`) while it is in force. */
export interface DownSpec {
  type: 'down';
}
/** What {@link ChaosProxy.add} and {@link ChaosProxy.with} take. */
export type Chaos = ToxicSpec | DownSpec;

/** Where and how often a toxic acts. */
export interface ToxicOptions {
  /** `downstream` (server → client, default) or `upstream` (client → server). */
  stream?: Stream;
  /** Share of connections (or UDP flows, or HTTP requests) it acts on, 0–1 (default 1). */
  toxicity?: number;
}
/** The request filter of the HTTP toxics (see the README: path exact, or a prefix ending in `*`). */
export interface HttpMatch {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  toxicity?: number;
}

const ms = (d: DurationInput) => Math.round(parseDuration(d));
const spec = (type: string, attributes: Record<string, unknown>, o: ToxicOptions = {}): ToxicSpec => ({
  type,
  stream: o.stream ?? 'downstream',
  toxicity: o.toxicity ?? 1,
  attributes,
});
const http = (type: string, attributes: Record<string, unknown>, m: HttpMatch): ToxicSpec =>
  spec(type, { method: m.method ?? '', path: m.path ?? '', headers: m.headers ?? {}, ...attributes }, m);

/** `latency`: every chunk waits `latency` (± `jitter`, drawn from `distribution`). */
export const latency = (
  latency: DurationInput,
  o: ToxicOptions & { jitter?: DurationInput; distribution?: Distribution } = {},
): ToxicSpec =>
  spec(
    'latency',
    { latency: ms(latency), jitter: ms(o.jitter ?? 0), distribution: o.distribution ?? 'uniform' },
    o,
  );

/** `bandwidth`: at most `rate` KB/s (1 KB = 1000 bytes) per connection, or per proxy with `scope: 'proxy'`. */
export const bandwidth = (
  rate: number,
  o: ToxicOptions & { scope?: 'connection' | 'proxy' } = {},
): ToxicSpec => spec('bandwidth', { rate, scope: o.scope ?? 'connection' }, o);

/** `reset_peer`: each connection is reset (RST → ECONNRESET) `after` its first data. */
export const resetPeer = (o: ToxicOptions & { after?: DurationInput } = {}): ToxicSpec =>
  spec('reset_peer', { timeout: ms(o.after ?? 0) }, o);

/** `timeout`: no data passes; connections close `after` (0 = never: a black hole). */
export const timeout = (after: DurationInput = 0, o: ToxicOptions = {}): ToxicSpec =>
  spec('timeout', { timeout: ms(after) }, o);

/** `slow_close`: connections close `delay` late. */
export const slowClose = (delay: DurationInput, o: ToxicOptions = {}): ToxicSpec =>
  spec('slow_close', { delay: ms(delay) }, o);

/** `slicer`: data goes in slices of about `averageSize` bytes, `delayMicros` apart. */
export const slicer = (
  s: { averageSize: number; sizeVariation?: number; delayMicros?: number },
  o: ToxicOptions = {},
): ToxicSpec =>
  spec(
    'slicer',
    { average_size: s.averageSize, size_variation: s.sizeVariation ?? 0, delay: s.delayMicros ?? 0 },
    o,
  );

/** `limit_data`: each connection closes once `bytes` went through. */
export const limitData = (bytes: SizeInput, o: ToxicOptions = {}): ToxicSpec =>
  spec('limit_data', { bytes: Math.round(parseSize(bytes)) }, o);

/** The proxy down: it stops listening and drops its connections until the chaos is removed. */
export const down = (): DownSpec => ({ type: 'down' });

/** `http_status` (http proxies): matching requests get `status` at once. */
export const httpStatus = (status: number, m: HttpMatch & { body?: string } = {}): ToxicSpec =>
  http('http_status', { status, body: m.body ?? '' }, m);

/** `http_delay` (http proxies): matching requests wait `delay` before going upstream. */
export const httpDelay = (delay: DurationInput, m: HttpMatch = {}): ToxicSpec =>
  http('http_delay', { delay: ms(delay) }, m);

/** `http_abort` (http proxies): matching requests get their connection reset. */
export const httpAbort = (m: HttpMatch = {}): ToxicSpec => http('http_abort', {}, m);

/** `http_body` (http proxies): matching requests get `body` instead of the upstream's body. */
export const httpBody = (body: string, m: HttpMatch & { contentType?: string } = {}): ToxicSpec =>
  http('http_body', { body, content_type: m.contentType ?? '' }, m);

/** `http_header` (http proxies): sets/removes headers of the response (or, `target: 'request'`, the request). */
export const httpHeader = (
  h: { set?: Record<string, string>; remove?: string[]; target?: 'request' | 'response' },
  m: HttpMatch = {},
): ToxicSpec =>
  http(
    'http_header',
    { target: h.target ?? 'response', set_headers: h.set ?? {}, remove_headers: h.remove ?? [] },
    m,
  );

/** `loss` (udp proxies): drops `percent` of the datagrams (`30` or `'30%'`). */
export const udpLoss = (percent: number | string, o: ToxicOptions = {}): ToxicSpec =>
  spec('loss', { percent: parsePercent(percent) }, o);

/** `duplicate` (udp proxies): sends `percent` of the datagrams twice. */
export const udpDuplicate = (percent: number | string, o: ToxicOptions = {}): ToxicSpec =>
  spec('duplicate', { percent: parsePercent(percent) }, o);
