// Real loopback servers and clients for this package's tests (never shipped).
import { createSocket } from 'node:dgram';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';

/** A listening server and how to stop it. */
export interface Running {
  port: number;
  close(): Promise<void>;
}

async function listen(server: Server | ReturnType<typeof createHttpServer>): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return (server.address() as { port: number }).port;
}

function tracked(server: Server): (s: Socket) => void {
  const sockets = new Set<Socket>();
  server.on('close', () => {
    for (const s of sockets) s.destroy();
  });
  return (s) => {
    sockets.add(s);
    s.on('error', () => {}); // resets are what the tests cause
    s.on('close', () => sockets.delete(s));
  };
}

/** TCP echo: writes back what it reads; ends when the client ends. */
export async function echoServer(): Promise<Running & { resets: () => number }> {
  let resets = 0;
  const server = createServer({ allowHalfOpen: false, noDelay: true }, (s) => {
    track(s);
    s.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNRESET') resets++;
    });
    s.pipe(s);
  });
  const track = tracked(server);
  const port = await listen(server);
  return {
    port,
    resets: () => resets,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** TCP source: on connect, writes `bytes` bytes and ends. */
export async function sourceServer(bytes: number): Promise<Running> {
  const block = Buffer.alloc(64 * 1024, 7);
  const server = createServer((s) => {
    track(s);
    let left = bytes;
    const pump = () => {
      while (left > 0) {
        const n = Math.min(left, block.length);
        left -= n;
        if (!s.write(n === block.length ? block : block.subarray(0, n))) return void s.once('drain', pump);
      }
      s.end();
    };
    pump();
  });
  const track = tracked(server);
  const port = await listen(server);
  return { port, close: () => new Promise((r) => server.close(() => r())) };
}

/** An HTTP server answering `handler` (default: 200 `ok <path>` with an `x-upstream: yes` header). */
export async function httpServer(
  handler: (q: IncomingMessage, s: ServerResponse) => void = (q, s) => {
    s.setHeader('x-upstream', 'yes');
    s.setHeader('x-seen-header', String(q.headers['x-added'] ?? ''));
    s.end(`ok ${q.url}`);
  },
): Promise<Running & { requests: () => number }> {
  let requests = 0;
  const server = createHttpServer((q, s) => {
    requests++;
    handler(q, s);
  });
  const port = await listen(server);
  return {
    port,
    requests: () => requests,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** UDP echo. */
export async function udpEcho(): Promise<Running> {
  const s = createSocket('udp4');
  s.on('message', (m, r) => s.send(m, r.port, r.address));
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return { port: s.address().port, close: () => new Promise((r) => s.close(() => r())) };
}

/** A connected client socket (errors kept, not thrown). */
export async function dial(
  port: number,
  host = '127.0.0.1',
): Promise<Socket & { failure?: NodeJS.ErrnoException }> {
  const s = connect({ port, host, noDelay: true }) as Socket & { failure?: NodeJS.ErrnoException };
  s.on('error', (e) => {
    s.failure = e;
  });
  await new Promise<void>((resolve, reject) => {
    s.once('connect', resolve);
    s.once('error', reject);
  });
  return s;
}

/** Sends `msg`, resolves with the ms until the first byte comes back. */
export async function roundTrip(s: Socket, msg = 'ping'): Promise<number> {
  const t = performance.now();
  const got = new Promise<void>((r) => s.once('data', () => r()));
  s.write(msg);
  await got;
  return performance.now() - t;
}

/** Resolves when the socket closes: how it ended (`end` = FIN, or the error code). */
export function closed(s: Socket & { failure?: NodeJS.ErrnoException }): Promise<string> {
  return new Promise((r) => {
    if (s.destroyed) return r(s.failure?.code ?? 'end');
    s.once('close', () => r(s.failure?.code ?? 'end'));
  });
}

/** Reads everything until the peer ends; resolves with the bytes and the ms it took. */
export function readAll(s: Socket): Promise<{ bytes: number; ms: number; data: Buffer }> {
  const t = performance.now();
  const parts: Buffer[] = [];
  return new Promise((r) => {
    s.on('data', (d) => parts.push(d));
    s.once('close', () => {
      const data = Buffer.concat(parts);
      r({ bytes: data.length, ms: performance.now() - t, data });
    });
  });
}

/** The q-quantile (0–1) of the values. */
export function quantile(values: readonly number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}
