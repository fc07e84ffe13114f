import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:net';
import { isFaultlineError } from '@faultline/core';
import { runProbe } from '@faultline/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { which } from '../host/which.js';
import { hostReachable, hostReachableProbe } from './host-reachable.js';

const NS = `fld_hr_${process.pid}`;
const NS_DOWN = `fld_hrd_${process.pid}`;
let server: Server;
let port = 0;
let inside: ChildProcess | undefined;
let insidePort = 0;

beforeAll(async () => {
  server = createServer((s) => s.end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
  execFileSync('ip', ['netns', 'add', NS]);
  execFileSync('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
  execFileSync('ip', ['netns', 'add', NS_DOWN]); // loopback left down
  // a listener that exists only inside the namespace
  inside = spawn(
    'ip',
    [
      'netns',
      'exec',
      NS,
      process.execPath,
      '-e',
      "const s=require('net').createServer(c=>c.end()).listen(0,'127.0.0.1',()=>console.log(s.address().port))",
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  insidePort = await new Promise<number>((resolve, reject) => {
    inside!.stdout!.once('data', (b: Buffer) => resolve(Number(b.toString().trim())));
    inside!.once('exit', () => reject(new Error('listener in the namespace died')));
  });
});
afterAll(async () => {
  inside?.kill('SIGKILL');
  await new Promise((r) => server.close(r));
  for (const ns of [NS, NS_DOWN]) execFileSync('ip', ['netns', 'del', ns]);
  const left = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  expect(left).not.toContain(NS);
});

describe.concurrent('probe/host-reachable', () => {
  it('TCP-connects to a port on this host', async () => {
    expect((await runProbe(hostReachableProbe, { host: '127.0.0.1', port })).passed).toBe(true);
    // the namespace's listener is not reachable from the host's loopback (or the pass above proves nothing about scoping)
    const wrongSide = await runProbe(hostReachableProbe, { host: '127.0.0.1', port: insidePort });
    expect(wrongSide.passed).toBe(false);
  });

  it('TCP-connects from inside a namespace', async () => {
    const r = await runProbe(hostReachableProbe, { host: '127.0.0.1', port: insidePort, namespace: NS });
    expect(r.passed, r.message).toBe(true);
    const closed = await runProbe(hostReachableProbe, { host: '127.0.0.1', port, namespace: NS });
    expect(closed.passed).toBe(false);
    expect(closed.message).toContain('ECONNREFUSED');
  });

  it('with no host, checks the namespace exists and its loopback is up', async () => {
    const up = await runProbe(hostReachableProbe, { namespace: NS });
    expect(up.passed, up.message).toBe(true);
    const down = await runProbe(hostReachableProbe, { namespace: NS_DOWN });
    expect(down.passed).toBe(false);
    expect(down.message).toContain('down');
    const missing = await runProbe(hostReachableProbe, { namespace: 'fld_no_such_ns' });
    expect(missing.passed).toBe(false);
    expect(missing.message).toContain('does not exist');
  });

  const hasPing = which('ping') !== undefined;
  if (!hasPing)
    console.log('probe/host-reachable ICMP test skipped: no ping on this host (apt package iputils-ping)');
  it.skipIf(!hasPing)('ICMP-pings a host from a namespace', async () => {
    expect((await runProbe(hostReachableProbe, { host: '127.0.0.1', namespace: NS })).passed).toBe(true);
    expect((await runProbe(hostReachableProbe, { host: '127.0.0.1', namespace: NS_DOWN })).passed).toBe(
      false,
    );
  });
  it.skipIf(hasPing)(
    'without ping, a TCP SYN stands in: a refusal is an answer, no route is not',
    async () => {
      const here = await runProbe(hostReachableProbe, { host: '127.0.0.1' });
      expect(here.passed, here.message).toBe(true);
      expect(here.message).toContain('iputils-ping');
      const inNs = await runProbe(hostReachableProbe, { host: '127.0.0.1', namespace: NS });
      expect(inNs.passed, inNs.message).toBe(true);
      // loopback down: no route at all, nothing answers
      const down = await runProbe(hostReachableProbe, { host: '127.0.0.1', namespace: NS_DOWN });
      expect(down.passed).toBe(false);
      // an address nothing in the namespace owns: no answer (its only interface is lo)
      const nobody = await runProbe(hostReachableProbe, { host: '10.253.0.9', namespace: NS }, 3000);
      expect(nobody.passed).toBe(false);
    },
  );

  it('needs a host or a namespace', async () => {
    const e = await runProbe(hostReachableProbe, {}).catch((x: unknown) => x);
    expect(isFaultlineError(e, 'FL_TUNABLES')).toBe(true);
  });
});

describe('hostReachable()', () => {
  it('is an Edge spec whose tunables are validated where it is written', () => {
    expect(hostReachable({ host: '10.0.0.7', port: 80, namespace: 'fld_ns' })).toEqual({
      name: 'host-reachable 10.0.0.7:80 in fld_ns',
      kind: 'probe/host-reachable',
      mode: 'Edge',
      tunables: { host: '10.0.0.7', port: 80, namespace: 'fld_ns' },
    });
    expect(hostReachable({ namespace: 'fld_ns', host: undefined }).tunables).toEqual({ namespace: 'fld_ns' });
    expect(() => hostReachable({})).toThrow(/FL_TUNABLES/);
    expect(() => hostReachable({ host: 'a b' })).toThrow(/FL_TUNABLES/);
  });
});
