// Test helpers that measure what a network fault does the way people check it: ping (ICMP), a UDP
// echo, a TCP transfer with the kernel's retransmission counter, a TCP connect. Each runs inside the
// namespaces of a NetnsPair. Tests and benches only; the pack never imports it.
import { type ChildProcess, spawn } from 'node:child_process';
import type { NetnsPair } from './netns.js';

/** Waits until a spawned process prints a line matching `re` on stdout (servers print "ready"). */
export function waitForLine(c: ChildProcess, re: RegExp, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    let err = '';
    const timer = setTimeout(
      () => reject(new Error(`no line matching ${re} within ${timeoutMs} ms: ${buf}${err}`)),
      timeoutMs,
    );
    c.stderr?.on('data', (d) => (err += d));
    c.stdout?.on('data', (d) => {
      buf += d;
      // whole lines only: a line cut across two chunks must not match half-written
      const line = buf
        .split('\n')
        .slice(0, -1)
        .find((l) => re.test(l));
      if (line !== undefined) {
        clearTimeout(timer);
        resolve(line);
      }
    });
    // 'close', not 'exit': the last line may still be in the pipe when the process has exited
    c.on('close', (code) => {
      clearTimeout(timer);
      reject(new Error(`process exited (${code}) before printing ${re}: ${buf}${err}`));
    });
  });
}

const ECHO_SERVER = `
const s = require('node:dgram').createSocket(process.argv[1].includes(':') ? 'udp6' : 'udp4');
s.on('message', (m, r) => s.send(m, r.port, r.address));
s.bind(Number(process.argv[2]), process.argv[1], () => console.log('ready'));`;

const ECHO_CLIENT = `
const [host, port, count] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
const s = require('node:dgram').createSocket(host.includes(':') ? 'udp6' : 'udp4');
const got = new Set(); let errors = 0;
s.on('message', (m) => got.add(m.readUInt32BE(0)));
let i = 0;
const tick = () => {
  if (i >= count) return setTimeout(() => { console.log(JSON.stringify({ sent: count, received: got.size, errors })); s.close(); }, 500);
  const b = Buffer.alloc(32); b.writeUInt32BE(i++, 0);
  s.send(b, port, host, (e) => { if (e) errors++; });
  setTimeout(tick, 1);
};
tick();`;

/**
 * Sends `count` UDP datagrams from namespace `from` to an echo server at `host` in namespace `to`
 * and counts the echoes: a real loss measurement (ping retries on egress drops, UDP does not).
 */
export async function measureUdpLoss(
  pair: NetnsPair,
  o: { from: string; to: string; host: string; port?: number; count?: number },
): Promise<{ sent: number; received: number; errors: number; lossPercent: number }> {
  const port = String(o.port ?? 7007);
  const server = pair.spawn(o.to, process.execPath, ['-e', ECHO_SERVER, o.host, port]);
  try {
    await waitForLine(server, /ready/);
    const r = await pair.exec(
      o.from,
      process.execPath,
      ['-e', ECHO_CLIENT, o.host, port, String(o.count ?? 600)],
      { timeoutMs: 60_000 },
    );
    if (r.exitCode !== 0) throw new Error(`echo client failed: ${r.stderr}`);
    const res = JSON.parse(r.stdout) as { sent: number; received: number; errors: number };
    return { ...res, lossPercent: (100 * (res.sent - res.received)) / res.sent };
  } finally {
    server.kill('SIGKILL');
  }
}

const TCP_CLIENT = `
const [host, port, ms] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
const t0 = Date.now();
const c = require('node:net').connect({ host, port });
const done = (r) => { console.log(JSON.stringify({ result: r, ms: Date.now() - t0 })); c.destroy(); process.exit(0); };
c.on('connect', () => done('connected'));
c.on('error', (e) => done(e.code));
setTimeout(() => done('timeout'), ms);`;

/** Tries one TCP connect from a namespace: `connected`, `ECONNREFUSED`, `timeout`, or another error code. */
export async function tcpConnect(
  pair: NetnsPair,
  from: string,
  host: string,
  port: number,
  timeoutMs = 1500,
): Promise<{ result: string; ms: number }> {
  const r = await pair.exec(from, process.execPath, [
    '-e',
    TCP_CLIENT,
    host,
    String(port),
    String(timeoutMs),
  ]);
  if (r.exitCode !== 0) throw new Error(`tcp client failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as { result: string; ms: number };
}

const TCP_SERVER = `
const srv = require('node:net').createServer((s) => { s.on('error', () => {}); s.resume(); });
srv.listen(Number(process.argv[2]), process.argv[1], () => console.log('ready'));`;

/** Starts a TCP server that accepts and reads (what SSH and iperf-less tests connect to). */
export async function tcpServer(
  pair: NetnsPair,
  ns: string,
  host: string,
  port: number,
): Promise<ChildProcess> {
  const c = pair.spawn(ns, process.execPath, ['-e', TCP_SERVER, host, String(port)]);
  await waitForLine(c, /ready/);
  return c;
}

/**
 * Pings `host` from namespace `from` (`ping -c count -i interval -W 1 -q`, as root so intervals under
 * 200 ms are allowed) and reads the counts ping prints. `errors` counts the local send errors ping
 * reports (`+N errors`): an egress drop the sender is told about shows there, not as loss.
 */
export async function measurePingLoss(
  pair: NetnsPair,
  o: { from: string; host: string; count?: number; intervalMs?: number },
): Promise<{ sent: number; received: number; errors: number; lossPercent: number }> {
  const count = o.count ?? 400;
  const r = await pair.exec(
    o.from,
    'ping',
    ['-n', '-q', '-c', String(count), '-i', String((o.intervalMs ?? 5) / 1000), '-W', '1', o.host],
    { timeoutMs: 60_000 },
  );
  const m = r.stdout.match(/(\d+) packets transmitted, (\d+) received(?:, \+(\d+) errors)?/);
  if (!m) throw new Error(`ping printed no statistics (${r.command}): ${r.stdout}${r.stderr}`);
  const [sent, received, errors] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  return { sent, received, errors, lossPercent: (100 * (sent - received)) / sent };
}

const TRANSFER_SERVER = `
const srv = require('node:net').createServer((s) => {
  let n = 0;
  s.on('error', () => {});
  s.on('data', (d) => { n += d.length; });
  s.on('end', () => s.end(String(n)));
});
srv.listen(Number(process.argv[2]), process.argv[1], () => console.log('ready'));`;

// connects, says so, waits for a line on stdin, then sends the payload and waits for the byte count
const TRANSFER_CLIENT = `
const [host, port, size] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
const c = require('node:net').connect({ host, port });
let t0 = 0; let got = '';
const done = (r) => { console.log(JSON.stringify({ ...r, ms: t0 ? Date.now() - t0 : 0 })); process.exit(0); };
c.on('connect', () => console.log('connected'));
c.on('data', (d) => { got += d; });
c.on('end', () => done({ received: Number(got) }));
c.on('error', (e) => done({ error: e.code || e.message }));
process.stdin.once('data', () => { t0 = Date.now(); c.end(Buffer.alloc(size, 7)); });`;

async function retransSegs(pair: NetnsPair, ns: string): Promise<number> {
  // the namespace's own counters (/proc/net/snmp is per network namespace); -a absolute, -s no history
  const r = await pair.exec(ns, 'nstat', ['-a', '-s', '-z', 'TcpRetransSegs']);
  const m = r.stdout.match(/TcpRetransSegs\s+(\d+)/);
  if (!m) throw new Error(`nstat printed no TcpRetransSegs: ${r.stdout}${r.stderr}`);
  return Number(m[1]);
}

/** What {@link measureTcpTransfer} runs around the send: inject before it, heal (revert) while it waits. */
export interface TransferHooks {
  /** After the connection is open, before the payload goes: inject the fault here. */
  beforeSend?(): Promise<void>;
  /** Right after the payload was handed to the socket, while it is under way: e.g. wait, then revert. */
  whileSending?(): Promise<void>;
}

/**
 * Sends `bytes` over one TCP connection from `from` to a server at `host` in `to`, and reports what
 * the application saw (bytes the server counted, or the error), how long it took, and the TCP
 * segments the sending namespace retransmitted meanwhile (`nstat` TcpRetransSegs). The connection is
 * opened first, so the measure is of data, not of a lost SYN's one-second timer.
 */
export async function measureTcpTransfer(
  pair: NetnsPair,
  o: { from: string; to: string; host: string; port?: number; bytes?: number; timeoutMs?: number },
  hooks: TransferHooks = {},
): Promise<{ received?: number; error?: string; ms: number; retransmitted: number }> {
  const port = String(o.port ?? 7100 + Math.floor(Math.random() * 800));
  const bytes = o.bytes ?? 256 * 1024;
  const server = pair.spawn(o.to, process.execPath, ['-e', TRANSFER_SERVER, o.host, port]);
  let client: ChildProcess | undefined;
  try {
    await waitForLine(server, /ready/);
    client = spawn(
      'ip',
      ['netns', 'exec', o.from, process.execPath, '-e', TRANSFER_CLIENT, o.host, port, String(bytes)],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    await waitForLine(client, /connected/);
    await hooks.beforeSend?.();
    const before = await retransSegs(pair, o.from);
    const result = waitForLine(client, /^\{/, o.timeoutMs ?? 30_000);
    client.stdin?.write('go\n');
    await hooks.whileSending?.();
    const r = JSON.parse(await result) as { received?: number; error?: string; ms: number };
    return { ...r, retransmitted: (await retransSegs(pair, o.from)) - before };
  } finally {
    client?.kill('SIGKILL');
    server.kill('SIGKILL');
  }
}
