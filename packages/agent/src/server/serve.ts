import { type Server, STATUS_CODES } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { type AgentApp, type AgentOptions, createAgent } from './agent.js';

/** Options of {@link serveAgent}: the agent's, plus where to listen. */
export interface ServeOptions extends AgentOptions {
  /** Default 127.0.0.1: the agent listens on loopback unless told otherwise. */
  hostname?: string;
  /** Default 7411; 0 picks a free port. */
  port?: number;
  /** Serve HTTPS with this key and certificate (PEM). */
  tls?: { key: string | Buffer; cert: string | Buffer };
}

/** A served agent. */
export interface ServedAgent {
  /** `http(s)://host:port`, the port resolved. */
  url: string;
  port: number;
  app: AgentApp;
  /** Aborts and reverts every active run, then closes the server and its connections. */
  close(reason?: string): Promise<void>;
}

/** The agent's default port. */
export const DEFAULT_PORT = 7411;

/** Serves {@link createAgent} with @hono/node-server (HTTPS when given a key and certificate). */
export async function serveAgent(o: ServeOptions): Promise<ServedAgent> {
  const app = createAgent(o);
  const hostname = o.hostname ?? '127.0.0.1';
  let server!: Server;
  const port = await new Promise<number>((resolve, reject) => {
    server = serve(
      {
        fetch: app.fetch,
        hostname,
        port: o.port ?? DEFAULT_PORT,
        ...(o.tls
          ? { createServer: createHttpsServer, serverOptions: { key: o.tls.key, cert: o.tls.cert } }
          : {}),
      },
      (info: AddressInfo) => resolve(info.port),
    ) as Server;
    server.once('error', reject);
  });
  // the whole request (head and body) within 30 s; the agent's own body timeout answers sooner, in JSON
  server.headersTimeout = 15_000;
  server.requestTimeout = 30_000;
  server.on('clientError', answerMalformed);
  const host = hostname.includes(':') ? `[${hostname}]` : hostname;
  return {
    url: `${o.tls ? 'https' : 'http'}://${host}:${port}`,
    port,
    app,
    async close(reason) {
      await app.close(reason);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // SSE streams and idle keep-alive sockets would hold close() open
        server.closeAllConnections();
      });
    },
  };
}

/**
 * What node's HTTP parser rejects (a malformed request line or header, a header too large) never
 * reaches the app: answer it here, in the same JSON shape, instead of node's bare 400.
 */
function answerMalformed(err: NodeJS.ErrnoException, socket: import('node:stream').Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const status =
    err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const body = JSON.stringify({
    code: 'FL_REQUEST',
    message: `FL_REQUEST: the request is not valid HTTP/1.1 (${err.code ?? err.message})`,
  });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
