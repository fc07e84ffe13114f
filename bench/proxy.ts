// Benchmark of @faultline/proxy against a direct loopback connection in the same run:
//   throughput with no toxic (bulk transfer) — proxied vs direct, the ratio;
//   added latency per request with no toxic (64-byte ping-pong on a kept connection) — p50 and p99;
//   latency-toxic accuracy: asked vs measured (proxied round trip minus the clean proxied one), next to
//   the same delay made by a bare setTimeout in an echo server with no proxy, measured the same way
//   right after: what any timer-based delay achieves on this machine at that moment.
// The proxy runs as its own process — the faultline-proxy bin, compiled to plain JS first (tsup), run
// by plain node as a user runs the published bin — the client and the upstream servers in this one.
// A second proxy process, Node's own `src.pipe(dst)` and nothing else, is the floor a Node proxy can
// reach on this machine: the table shows the CPU each proxy process spends per GB next to it.
// Run: npm run bench:proxy  [-- --mib 256 --pings 5000]
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    mib: { type: 'string', default: '256' },
    pings: { type: 'string', default: '5000' },
    /** Skip the throughput part (a short run, to catch a quiet moment on a shared machine). */
    'no-throughput': { type: 'boolean', default: false },
    rounds: { type: 'string', default: '5' },
  },
});
const BYTES = Number(values.mib) * 1024 * 1024;
const PINGS = Number(values.pings);
const ROUNDS = Number(values.rounds);
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * p) - 1)] as number;
const median = (xs: number[]) => pct(xs, 0.5);
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
/** CPU ms a process has used (utime + stime, /proc/PID/stat fields 14-15, in 10 ms ticks). */
const cpuMs = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
};
const work = mkdtempSync(join(tmpdir(), 'flp-bench-'));

/** Node's own pipe proxy: the least a Node proxy can do. */
const PIPE_PROXY = `import { createServer, connect } from 'node:net';
const up = Number(process.argv[2]);
const s = createServer({ noDelay: true }, (c) => {
  const u = connect({ port: up, host: '127.0.0.1', noDelay: true });
  c.pipe(u); u.pipe(c); c.on('error', () => {}); u.on('error', () => {});
});
s.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ url: 'pipe', port: s.address().port })));
`;

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

/** An echo server that answers each message after setTimeout(ms): the control for the latency toxic. */
async function timerEcho(ms: number): Promise<{ port: number; close: () => void }> {
  const server = createServer({ noDelay: true }, (s) => {
    s.on('data', (d) => setTimeout(() => s.write(d), ms));
    s.on('error', () => {});
  });
  return { port: await listen(server), close: () => server.close() };
}

function dial(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', noDelay: true });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** Writes BYTES as fast as backpressure allows; MB/s measured at the sink's last byte, and the proxy's CPU ms/GB. */
async function throughput(port: number, proxyPid?: number): Promise<{ mbps: number; cpu: number }> {
  const s = await dial(port);
  const c0 = proxyPid ? cpuMs(proxyPid) : 0;
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
  const cpu = proxyPid ? (cpuMs(proxyPid) - c0) / (BYTES / 1e9) : 0;
  return { mbps: BYTES / 1e6 / ((t1 - t0) / 1000), cpu };
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

/** The bin compiled to one plain JS file (running it through tsx's loader costs CPU a user never pays). */
async function compileBin(): Promise<string> {
  const { build } = await import('tsup');
  await build({
    entry: { bin: fileURLToPath(new URL('../packages/proxy/src/bin.ts', import.meta.url)) },
    outDir: work,
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    dts: false,
    silent: true,
    noExternal: [/.*/],
    esbuildOptions: (o) => {
      o.conditions = ['@faultline/source'];
    },
  });
  return join(work, 'bin.js');
}

/** Spawns `node ARGS` and resolves with its first line of output. */
async function spawnLine(args: string[]): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    child.once('exit', () => reject(new Error(`${args.join(' ')} exited: ${out}`)));
  });
  return { child, line };
}

async function main(): Promise<void> {
  const loadBefore = load();
  const sinkPort = await listen(sink);
  const echoPort = await listen(echo);
  const { child, line } = await spawnLine([await compileBin(), '--port', '0']);
  const url = (JSON.parse(line) as { url: string }).url;
  writeFileSync(join(work, 'pipe-proxy.mjs'), PIPE_PROXY);
  const pipe = await spawnLine([join(work, 'pipe-proxy.mjs'), String(sinkPort)]);
  const pipePort = (JSON.parse(pipe.line) as { port: number }).port;
  try {
    const toSink = await api(url, 'POST', '/proxies', { name: 'sink', upstream: `127.0.0.1:${sinkPort}` });
    const toEcho = await api(url, 'POST', '/proxies', { name: 'echo', upstream: `127.0.0.1:${echoPort}` });
    const sinkProxy = Number(toSink.listen.split(':')[1]);
    const echoProxy = Number(toEcho.listen.split(':')[1]);

    // warm-up: JIT every path
    if (!values['no-throughput']) {
      await throughput(sinkPort);
      await throughput(pipePort);
      await throughput(sinkProxy);
    }
    await pings(echoPort, 500);
    await pings(echoProxy, 500);

    const direct: number[] = [];
    const proxied: number[] = [];
    const piped: number[] = [];
    const cpuOurs: number[] = [];
    const cpuPipe: number[] = [];
    for (let i = 0; i < (values['no-throughput'] ? 0 : ROUNDS); i++) {
      direct.push((await throughput(sinkPort)).mbps);
      const p = await throughput(pipePort, pipe.child.pid);
      piped.push(p.mbps);
      cpuPipe.push(p.cpu);
      const o = await throughput(sinkProxy, child.pid);
      proxied.push(o.mbps);
      cpuOurs.push(o.cpu);
    }
    const pd: number[] = [];
    const pp: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      pd.push(...(await pings(echoPort, Math.ceil(PINGS / ROUNDS))));
      pp.push(...(await pings(echoProxy, Math.ceil(PINGS / ROUNDS))));
    }

    // accuracy: the proxied round trip with the toxic minus the clean proxied p50 (what the toxic adds)
    const clean = median(pp) / 1000;
    const cleanDirect = median(pd) / 1000;
    const accuracy: { asked: number; p50: number; p99: number; n: number; t50: number; t99: number }[] = [];
    for (const asked of [10, 50, 200]) {
      await api(url, 'POST', '/proxies/echo/toxics', {
        name: 'lat',
        type: 'latency',
        attributes: { latency: asked },
      });
      // one connection, one request at a time: what the toxic adds, not what a busy client adds
      const all = await pings(echoProxy, asked >= 200 ? 25 : asked >= 50 ? 80 : 200);
      const err = all.map((us) => us / 1000 - clean - asked);
      await api(url, 'DELETE', '/proxies/echo/toxics/lat');
      const control = await timerEcho(asked);
      const viaTimer = await pings(control.port, all.length);
      control.close();
      const terr = viaTimer.map((us) => us / 1000 - cleanDirect - asked);
      accuracy.push({
        asked,
        p50: pct(err, 0.5),
        p99: pct(err, 0.99),
        n: err.length,
        t50: pct(terr, 0.5),
        t99: pct(terr, 0.99),
      });
    }

    const ratio = median(proxied) / median(direct);
    const added50 = pct(pp, 0.5) - pct(pd, 0.5);
    const added99 = pct(pp, 0.99) - pct(pd, 0.99);
    const f = (x: number, d = 1) => x.toFixed(d);
    console.log(`load average before: ${loadBefore}, after: ${load()} (2 cores)\n`);
    if (direct.length > 0) {
      console.log(
        '| throughput, no toxic (MB/s, median of ' +
          ROUNDS +
          ' × ' +
          values.mib +
          ' MiB) | MB/s | % of direct | proxy process CPU, ms per GB |',
      );
      console.log('|---|---:|---:|---:|');
      console.log(`| direct loopback | ${f(median(direct))} | 100 | — |`);
      console.log(
        `| Node's own \`src.pipe(dst)\` proxy (the floor) | ${f(median(piped))} | ${f((median(piped) / median(direct)) * 100)} | ${f(median(cpuPipe), 0)} |`,
      );
      console.log(
        `| faultline-proxy (target ≥ 90 % of direct) | ${f(median(proxied))} | ${f(ratio * 100)} | ${f(median(cpuOurs), 0)} |`,
      );
      console.log('');
    }
    console.log('| measure | direct | through faultline-proxy | result | target |');
    console.log('|---|---:|---:|---:|---:|');
    console.log(
      `| round trip p50, µs (64 B, ${pd.length} pings) | ${f(pct(pd, 0.5))} | ${f(pct(pp, 0.5))} | +${f(added50)} µs | ≤ 100 µs |`,
    );
    console.log(`| round trip p99, µs | ${f(pct(pd, 0.99))} | ${f(pct(pp, 0.99))} | +${f(added99)} µs | |`);
    console.log(
      '\n| latency toxic asked, ms | samples | error p50, ms | error p99, ms (target ≤ 2) | bare setTimeout echo, no proxy: error p50 / p99, ms |',
    );
    console.log('|---:|---:|---:|---:|---:|');
    for (const a of accuracy)
      console.log(
        `| ${a.asked} | ${a.n} | ${f(a.p50, 2)} | ${f(a.p99, 2)} | ${f(a.t50, 2)} / ${f(a.t99, 2)} |`,
      );
  } finally {
    child.kill('SIGTERM');
    pipe.child.kill('SIGTERM');
    sink.close();
    echo.close();
    rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    rmSync(work, { recursive: true, force: true });
    process.exit(1);
  },
);
