import type { AddressInfo } from 'node:net';
import { createServer, type Server, type Socket } from 'node:net';
import { runProbe } from '@faultline/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tcpProbe } from './tcp.js';

const sockets = new Set<Socket>();
const servers: Server[] = [];
async function serve(onConn: (s: Socket) => void): Promise<number> {
  const s = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {});
    onConn(sock);
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as AddressInfo).port;
}

let banner = 0;
let silent = 0;
let closer = 0;
beforeAll(async () => {
  banner = await serve((s) => s.write('220 fld-smtp ready\r\n'));
  silent = await serve(() => {}); // accepts, says nothing
  closer = await serve((s) => s.end());
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

describe.concurrent('probe/tcp', () => {
  it('connects, and fails when nothing listens', async () => {
    const ok = await runProbe(tcpProbe, { host: '127.0.0.1', port: silent });
    expect(ok.passed, ok.message).toBe(true);
    expect(ok.value).toHaveProperty('connectMs');
    const gone = await serve(() => {});
    const srv = servers.pop()!;
    await new Promise((r) => srv.close(r));
    const refused = await runProbe(tcpProbe, { host: '127.0.0.1', port: gone });
    expect(refused.passed).toBe(false);
    expect(refused.message).toContain('ECONNREFUSED');
  });

  it('compares the banner (trailing CRLF trimmed)', async () => {
    const b = (criteria: string, value: unknown) =>
      runProbe(tcpProbe, {
        host: '127.0.0.1',
        port: banner,
        expectBanner: { type: 'string', criteria, value },
      });
    expect((await b('equal', '220 fld-smtp ready')).passed).toBe(true);
    expect((await b('matches', '^220 ')).passed).toBe(true);
    expect((await b('contains', 'SSH')).passed).toBe(false);
    expect((await b('notMatches', '^5\\d\\d')).passed).toBe(true);
  });

  it('fails at the timeout when the server never sends a banner', async () => {
    const r = await runProbe(
      tcpProbe,
      {
        host: '127.0.0.1',
        port: silent,
        expectBanner: { type: 'string', criteria: 'contains', value: '220' },
      },
      300,
    );
    expect(r.passed).toBe(false);
    expect(r.message).toContain('timeout');
    expect(r.ms).toBeLessThan(1500); // the server never sends: the slack is for a busy CI loop
  });

  it('fails when the server hangs up before the banner', async () => {
    const r = await runProbe(tcpProbe, {
      host: '127.0.0.1',
      port: closer,
      expectBanner: { type: 'string', criteria: 'contains', value: '220' },
    });
    expect(r.passed).toBe(false);
    expect(r.message).toContain('closed');
  });
});
