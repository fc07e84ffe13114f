// Plain node:http/node:https rather than the global fetch: fetch takes a custom CA or skips
// verification only through an undici `Agent` passed as `dispatcher`, and the `undici` package is
// not a dependency (Node's bundled copy is not importable). node:https takes `ca`,
// `rejectUnauthorized` and an AbortSignal directly, with no extra dependency.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** One HTTP exchange to make. */
export interface HttpCall {
  method: string;
  url: URL;
  headers?: Record<string, string>;
  body?: string;
  /** PEM of the CA(s) that sign the server's certificate (replaces the system store). */
  ca?: string;
  /** Accept any certificate (self-signed, wrong host). */
  insecure?: boolean;
  /** Aborts the exchange: connect, headers and body alike. */
  signal: AbortSignal;
  /** Body bytes kept; the rest is read and dropped so the server is not stalled. */
  maxBodyBytes?: number;
}

/** What came back. */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  truncated: boolean;
}

/** Makes one request and reads the whole answer; rejects on network errors and when `signal` fires. */
export function fetchText(call: HttpCall): Promise<HttpAnswer> {
  const { signal } = call;
  const max = call.maxBodyBytes ?? 1024 * 1024;
  return new Promise<HttpAnswer>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const tls = call.url.protocol === 'https:';
    const make = tls ? httpsRequest : httpRequest;
    const headers: Record<string, string> = { ...call.headers };
    if (call.body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-length')) {
      headers['content-length'] = String(Buffer.byteLength(call.body));
    }
    // agent: false — one connection per attempt: a probe measures a fresh connect, and no pooled
    // socket outlives the probe (or keeps a test's server from closing)
    const req = make(call.url, {
      method: call.method,
      headers,
      agent: false,
      ...(tls ? { rejectUnauthorized: call.insecure !== true, ...(call.ca ? { ca: call.ca } : {}) } : {}),
    });
    const onAbort = () => {
      req.destroy(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const done = () => signal.removeEventListener('abort', onAbort);
    req.on('error', (e) => {
      done();
      reject(e);
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      let truncated = false;
      res.on('data', (c: Buffer) => {
        if (kept >= max) {
          truncated = true;
          return;
        }
        const take = c.subarray(0, max - kept);
        if (take.length < c.length) truncated = true;
        chunks.push(take);
        kept += take.length;
      });
      res.on('error', (e) => {
        done();
        reject(e);
      });
      res.on('end', () => {
        done();
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          truncated,
        });
      });
    });
    req.end(call.body);
  });
}
