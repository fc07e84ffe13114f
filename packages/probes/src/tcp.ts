import { connect } from 'node:net';
import { defineProbe, type Json } from '@faultline/core';
import * as v from 'valibot';
import { clip, judge, reason, stringComparatorSchema } from './expect.js';

/** A host name or IP address. */
export const hostSchema = v.pipe(
  v.string(),
  v.minLength(1),
  v.maxLength(253),
  v.regex(/^[A-Za-z0-9._:%-]+$/, 'a host is a name or an IP address'),
);
/** A TCP port. */
export const portSchema = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535));

/** Tunables of `probe/tcp`. */
export const tcpTunables = v.object({
  host: hostSchema,
  port: portSchema,
  /** Comparator on the first bytes the server sends (trailing whitespace trimmed). */
  expectBanner: v.optional(stringComparatorSchema),
});

/** What one TCP connect found. */
export interface Connected {
  connectMs: number;
  /** The first chunk the server sent, when it was waited for. */
  banner?: string;
}

/**
 * Opens a TCP connection (and, when asked, waits for the first bytes), then closes it. Rejects on
 * refusal, reset, close before a banner, or when `signal` fires.
 */
export function tcpConnect(
  host: string,
  port: number,
  signal: AbortSignal,
  waitBanner = false,
): Promise<Connected> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const started = performance.now();
    let connectMs = 0;
    const sock = connect({ host, port });
    const finish = (err: unknown, ok?: Connected) => {
      signal.removeEventListener('abort', onAbort);
      sock.destroy();
      if (ok) resolve(ok);
      else reject(err);
    };
    const onAbort = () => finish(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    sock.once('error', (e) => finish(e));
    sock.once('connect', () => {
      connectMs = Math.round(performance.now() - started);
      if (!waitBanner) finish(undefined, { connectMs });
    });
    if (waitBanner) {
      sock.once('data', (b: Buffer) => finish(undefined, { connectMs, banner: b.toString('utf8') }));
      sock.once('end', () => finish(new Error('the server closed the connection before sending anything')));
    }
  });
}

/** `probe/tcp`: connects within the timeout; optionally compares the banner. */
export const tcpProbe = defineProbe({
  kind: 'probe/tcp',
  summary: 'Opens a TCP connection within the timeout; optionally compares the first bytes the server sends.',
  tunables: tcpTunables,
  async run(ctx) {
    const { host, port, expectBanner } = ctx.tunables;
    const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    let c: Connected;
    try {
      c = await tcpConnect(host, port, ctx.signal, expectBanner !== undefined);
    } catch (e) {
      return { passed: false, message: `tcp ${where}: ${reason(e, ctx.signal, ctx.timeoutMs)}` };
    }
    const value: { [k: string]: Json } = { connectMs: c.connectMs };
    if (!expectBanner)
      return { passed: true, value, message: `tcp ${where}: connected in ${c.connectMs} ms` };
    const banner = (c.banner ?? '').trimEnd();
    value.banner = clip(banner);
    const verdict = judge([{ what: 'banner', actual: banner, comparator: expectBanner }]);
    return {
      passed: verdict.passed,
      value,
      message: `tcp ${where}: connected in ${c.connectMs} ms; ${verdict.message}`,
    };
  },
});
