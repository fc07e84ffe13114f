import {
  Agent,
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HostPort } from '../address.js';
import type { HttpAction } from './action.js';
import { type Match, matches } from './match.js';

/** One HTTP fault as the engine sees it: a filter, a share of requests, and what to do. */
export interface HttpRule {
  match: Match;
  /** Share of matching requests it acts on, 0–1 (drawn per request). */
  toxicity: number;
  action: HttpAction;
}

/** Where a request goes: a fixed upstream, or one chosen per request (e.g. from its Host header). */
export type UpstreamOf = (req: IncomingMessage) => HostPort;

/** Options of {@link HttpFaultEngine}. */
export interface HttpFaultEngineOptions {
  /** The upstream each request is forwarded to. */
  upstream: UpstreamOf;
  /** The rules in force now, read on every request (so adding and removing one takes effect at once). */
  rules: () => readonly HttpRule[];
}

const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
];

function forwardable(h: IncomingHttpHeaders): IncomingHttpHeaders {
  const out = { ...h };
  for (const name of HOP_BY_HOP) delete out[name];
  return out;
}

function editHeaders(h: Record<string, unknown>, a: Extract<HttpAction, { kind: 'headers' }>): void {
  for (const name of a.remove) delete h[name.toLowerCase()];
  for (const [name, value] of Object.entries(a.set)) h[name.toLowerCase()] = value;
}

/**
 * The HTTP fault engine: an HTTP/1.1 server that forwards each request to its upstream (keep-alive)
 * and applies the rules that match it — answer with a status, delay, abort (RST), replace the body,
 * edit headers. An http proxy puts it behind its TCP listener; the `linux/api-*` faults put it behind
 * an nft redirect. Anything that can hand it a connection can use it: `engine.server.emit('connection', socket)`.
 */
export class HttpFaultEngine {
  readonly server: Server;
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 256 });

  constructor(private readonly opts: HttpFaultEngineOptions) {
    this.server = createServer({ keepAlive: true }, (req, res) => {
      this.#handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(502).end();
        else res.destroy();
      });
    });
  }

  /** Listens on `host:port` (port 0 = any) and answers the bound address. */
  async listen(at: HostPort): Promise<HostPort> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host: at.host, port: at.port, exclusive: true }, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const a = this.server.address();
    return typeof a === 'object' && a ? { host: a.address, port: a.port } : at;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const actions = this.opts
      .rules()
      .filter((r) => matches(req, r.match) && Math.random() < r.toxicity)
      .map((r) => r.action);
    const reqHeaders = forwardable(req.headers);
    let body: Extract<HttpAction, { kind: 'body' }> | undefined;
    const resEdits: Extract<HttpAction, { kind: 'headers' }>[] = [];
    for (const a of actions) {
      switch (a.kind) {
        case 'delay':
          await sleep(a.ms);
          break;
        case 'abort':
          req.socket.resetAndDestroy();
          return;
        case 'respond':
          req.resume();
          res.writeHead(a.status, { 'content-length': Buffer.byteLength(a.body), ...a.headers }).end(a.body);
          return;
        case 'headers':
          if (a.target === 'request') editHeaders(reqHeaders, a);
          else resEdits.push(a);
          break;
        case 'body':
          body = a;
          break;
      }
    }
    if (res.destroyed) return;
    const target = this.opts.upstream(req);
    const up = request({
      host: target.host,
      port: target.port,
      method: req.method,
      path: req.url,
      headers: reqHeaders,
      agent: this.#agent,
    });
    req.pipe(up);
    const upRes = await new Promise<IncomingMessage>((resolve, reject) => {
      up.once('response', resolve);
      up.once('error', reject);
    });
    const headers: Record<string, unknown> = forwardable(upRes.headers);
    for (const e of resEdits) editHeaders(headers, e);
    if (body) {
      upRes.resume();
      delete headers['content-length'];
      if (body.contentType) headers['content-type'] = body.contentType;
      headers['content-length'] = Buffer.byteLength(body.body);
      res.writeHead(upRes.statusCode ?? 502, headers as IncomingHttpHeaders).end(body.body);
      return;
    }
    res.writeHead(upRes.statusCode ?? 502, headers as IncomingHttpHeaders);
    upRes.pipe(res);
  }

  /** Stops the server and drops its connections and the upstream keep-alive pool. */
  async close(): Promise<void> {
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    this.server.closeAllConnections();
    this.#agent.destroy();
    await closed;
  }
}
