// Benchmark of @faultline/proxy against a direct loopback connection in the same run:
//   throughput with no toxic (bulk transfer) — proxied vs direct, the ratio;
//   added latency per request with no toxic (64-byte ping-pong on a kept connection) — p50 and p99;
//   latency-toxic accuracy: asked vs measured (proxied round trip minus the clean proxied one).
// The proxy runs as its own process (the faultline-proxy bin, as toxiproxy-server would), the client
// and the upstream servers in this one.
// Run: npm run bench:proxy  [-- --mib 256 --pings 5000]
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    mib: { type: 'string', default: '256' },
    pings: { type: 'string', default: '5000' },
    rounds: { type: 'string', default: '3' },
  },
});
const BYTES = Number(values.mib) * 1024 * 1024;
const PINGS = Number(values.pings);
const ROUNDS = Number(values.rounds);
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * p) - 1)] as number;
const median = (xs: number[]) => pct(xs, 0.5);
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

async function listen(s: Server): Promise<number> {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return (s.address() as { port: number }).port;
}

/** A sink that counts bytes per connection and reports when `BYTES` arrived. */
let sinkDone: ((ms: number) => void) | undefined;
const sink = createServer({ noDelay: true }, (s) => {
  let got = 0;
  s.on('data', (d) => {
    got += d.length;
    if (got >= BYTES) sinkDone?.(performance.now());
  });
  s.on('error', () => {});
});
const echo = createServer({ noDelay: true }, (s) => {
  s.on('data', (d) => s.write(d));
  s.on('error', () => {});
});

function dial(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', noDelay: true });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** Writes BYTES as fast as backpressure allows; MB/s measured at the sink's last byte. */
async function throughput(port: number): Promise<number> {
  const s = await dial(port);
  const block = Buffer.alloc(64 * 1024, 1);
  const t0 = performance.now();
  const done = new Promise<number>((r) => (sinkDone = r));
  let sent = 0;
  await new Promise<void>((resolve) => {
    const pump = () => {
      while (sent < BYTES) {
        sent += block.length;
        if (!s.write(block)) return void s.once('drain', pump);
      }
      resolve();
    };
    pump();
  });
  const t1 = await done;
  s.destroy();
  return BYTES / 1e6 / ((t1 - t0) / 1000);
}

/** Round trips of 64 bytes on one kept connection, µs each. */
async function pings(port: number, n: number): Promise<number[]> {
  const s = await dial(port);
  const msg = Buffer.alloc(64, 2);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await new Promise<void>((r) => {
      s.once('data', () => r());
      s.write(msg);
    });
    out.push((performance.now() - t) * 1000);
  }
  s.destroy();
  return out;
}

async function api(url: string, method: string, path: string, body?: unknown): Promise<any> {
  const r = await fetch(url + path, { method, ...(body ? { body: JSON.stringify(body) } : {}) });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

async function startProxy(): Promise<{ child: ChildProcess; url: string }> {
  const bin = fileURLToPath(new URL('../packages/proxy/src/bin.ts', import.meta.url));
  const child = spawn(
    process.execPath,
    ['--conditions=@faultline/source', '--import', 'tsx', bin, '--port', '0'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /"url":"([^"]+)"/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', () => reject(new Error(`faultline-proxy exited: ${out}`)));
  });
  return { child, url };
}

async function main(): Promise<void> {
  const loadBefore = load();
  const sinkPort = await listen(sink);
  const echoPort = await listen(echo);
  const { child, url } = await startProxy();
  try {
    const toSink = await api(url, 'POST', '/proxies', { name: 'sink', upstream: `127.0.0.1:${sinkPort}` });
    const toEcho = await api(url, 'POST', '/proxies', { name: 'echo', upstream: `127.0.0.1:${echoPort}` });
    const sinkProxy = Number(toSink.listen.split(':')[1]);
    const echoProxy = Number(toEcho.listen.split(':')[1]);

    // warm-up: JIT both paths
    await throughput(sinkPort);
    await throughput(sinkProxy);
    await pings(echoPort, 500);
    await pings(echoProxy, 500);

    const direct: number[] = [];
    const proxied: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      direct.push(await throughput(sinkPort));
      proxied.push(await throughput(sinkProxy));
    }
    const pd: number[] = [];
    const pp: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      pd.push(...(await pings(echoPort, Math.ceil(PINGS / ROUNDS))));
      pp.push(...(await pings(echoProxy, Math.ceil(PINGS / ROUNDS))));
    }

    // accuracy: the proxied round trip with the toxic minus the clean proxied p50 (what the toxic adds)
    const clean = median(pp) / 1000;
    const accuracy: { asked: number; p50: number; p99: number; n: number }[] = [];
    for (const asked of [10, 50, 200]) {
      await api(url, 'POST', '/proxies/echo/toxics', {
        name: 'lat',
        type: 'latency',
        attributes: { latency: asked },
      });
      // one connection, one request at a time: what the toxic adds, not what a busy client adds
      const all = await pings(echoProxy, asked >= 200 ? 25 : asked >= 50 ? 80 : 200);
      const err = all.map((us) => us / 1000 - clean - asked);
      accuracy.push({ asked, p50: pct(err, 0.5), p99: pct(err, 0.99), n: err.length });
      await api(url, 'DELETE', '/proxies/echo/toxics/lat');
    }

    const ratio = median(proxied) / median(direct);
    const added50 = pct(pp, 0.5) - pct(pd, 0.5);
    const added99 = pct(pp, 0.99) - pct(pd, 0.99);
    const f = (x: number, d = 1) => x.toFixed(d);
    console.log(`load average before: ${loadBefore}, after: ${load()} (2 cores)\n`);
    console.log('| measure | direct | through faultline-proxy | result | target |');
    console.log('|---|---:|---:|---:|---:|');
    console.log(
      `| throughput, MB/s (${values.mib} MiB, median of ${ROUNDS}) | ${f(median(direct))} | ${f(median(proxied))} | ${f(ratio * 100)} % of direct | ≥ 90 % |`,
    );
    console.log(
      `| round trip p50, µs (64 B, ${pd.length} pings) | ${f(pct(pd, 0.5))} | ${f(pct(pp, 0.5))} | +${f(added50)} µs | ≤ 100 µs |`,
    );
    console.log(`| round trip p99, µs | ${f(pct(pd, 0.99))} | ${f(pct(pp, 0.99))} | +${f(added99)} µs | |`);
    console.log('\n| latency toxic asked, ms | samples | error p50, ms | error p99, ms | target p99 |');
    console.log('|---:|---:|---:|---:|---:|');
    for (const a of accuracy)
      console.log(`| ${a.asked} | ${a.n} | ${f(a.p50, 2)} | ${f(a.p99, 2)} | ≤ 2 ms |`);
  } finally {
    child.kill('SIGTERM');
    sink.close();
    echo.close();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
