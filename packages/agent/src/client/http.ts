// The client's HTTP, on node:http/https directly: a CA per agent (fetch would need a global
// NODE_EXTRA_CA_CERTS), a hard timeout on every call, and the raw response stream for SSE.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { FaultlineError } from '@faultline/core';
import type { ErrorBody } from '../wire.js';

/** How to reach one agent. */
export interface Endpoint {
  url: URL;
  token: string;
  /** Extra CA certificate(s) (PEM) for an agent serving TLS with its own CA. */
  ca?: string | Buffer | undefined;
}

/** A connection to one agent: keep-alive sockets, the token on every request. */
export class AgentConnection {
  readonly #agent: HttpAgent;
  readonly #https: boolean;

  constructor(readonly endpoint: Endpoint) {
    this.#https = endpoint.url.protocol === 'https:';
    if (!this.#https && endpoint.url.protocol !== 'http:')
      throw new TypeError(`an agent url is http:// or https://, not ${endpoint.url.protocol}`);
    this.#agent = this.#https
      ? new HttpsAgent({ keepAlive: true, ...(endpoint.ca ? { ca: endpoint.ca } : {}) })
      : new HttpAgent({ keepAlive: true });
  }

  /**
   * One JSON call. Resolves with any HTTP answer (the caller reads the status); rejects on a network
   * error or after `timeoutMs`.
   */
  async call(
    method: 'GET' | 'POST',
    path: string,
    o: { body?: unknown; timeoutMs: number; signal?: AbortSignal },
  ): Promise<{ status: number; body: unknown }> {
    const t0 = Date.now();
    const res = await this.#send(method, path, o.timeoutMs, o.body, undefined, o.signal);
    // the body within what is left of the same timeout: a link cut mid-body must not hang the call
    const timer = setTimeout(
      () => res.destroy(new Error(`the agent's answer did not arrive whole within ${o.timeoutMs} ms`)),
      Math.max(1, o.timeoutMs - (Date.now() - t0)),
    );
    const text = await new Promise<string>((resolve, reject) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (data += d));
      res.on('end', () => resolve(data));
      res.on('error', reject);
      res.on('close', () => (res.complete ? resolve(data) : reject(new Error('the answer was cut off'))));
    }).finally(() => clearTimeout(timer));
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = {
        code: 'FL_REQUEST',
        message: `the agent answered ${res.statusCode} with a body that is not JSON`,
      };
    }
    return { status: res.statusCode ?? 0, body };
  }

  /**
   * Opens a response stream (SSE): resolves with the response once its head arrived within
   * `timeoutMs`; from then on the caller watches the stream itself and destroys it when done.
   */
  stream(path: string, headers: Record<string, string>, timeoutMs: number): Promise<IncomingMessage> {
    return this.#send('GET', path, timeoutMs, undefined, { accept: 'text/event-stream', ...headers });
  }

  /** Frees the keep-alive sockets. */
  close(): void {
    this.#agent.destroy();
  }

  #send(
    method: string,
    path: string,
    timeoutMs: number,
    body?: unknown,
    headers: Record<string, string> = {},
    signal?: AbortSignal,
  ): Promise<IncomingMessage> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const url = new URL(path, this.endpoint.url);
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = (this.#https ? httpsRequest : httpRequest)(url, {
        method,
        agent: this.#agent,
        headers: {
          authorization: `Bearer ${this.endpoint.token}`,
          ...(payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }),
          ...headers,
        },
        ...(signal ? { signal } : {}),
      });
      // the head must come within timeoutMs; a stream's body is the caller's to watch
      const timer = setTimeout(
        () => req.destroy(new Error(`no answer from the agent within ${timeoutMs} ms`)),
        timeoutMs,
      );
      req.on('response', (res) => {
        clearTimeout(timer);
        resolve(res);
      });
      req.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      req.end(payload);
    });
  }
}

/** The FaultlineError an agent's error body stands for. */
export function agentError(status: number, body: unknown): FaultlineError {
  const b = body as Partial<ErrorBody> | undefined;
  const code = typeof b?.code === 'string' && b.code.startsWith('FL_') ? b.code : 'FL_INTERNAL';
  const message = typeof b?.message === 'string' ? b.message.replace(/^FL_[A-Z_]+: /, '') : `HTTP ${status}`;
  return new FaultlineError(code as FaultlineError['code'], message, {
    details: { status, ...(b?.details ? { agent: b.details } : {}) },
  });
}
