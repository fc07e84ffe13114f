import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProbe } from '@faultline/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prometheusProbe } from './prometheus.js';

// A real Prometheus (Debian's package) scraping a tiny exporter every 200 ms, on loopback ports.
const METRICS = [
  '# TYPE fld_ratio gauge',
  'fld_ratio 0.25',
  '# TYPE fld_depth gauge',
  'fld_depth{queue="a"} 3',
  'fld_depth{queue="b"} 9',
  '',
].join('\n');

let exporter: Server;
let prom: ChildProcess | undefined;
let dir = '';
let endpoint = '';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

beforeAll(async () => {
  exporter = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(METRICS);
  });
  await new Promise<void>((r) => exporter.listen(0, '127.0.0.1', r));
  const target = `127.0.0.1:${(exporter.address() as AddressInfo).port}`;
  dir = mkdtempSync(join(tmpdir(), 'fld-prom-'));
  writeFileSync(
    join(dir, 'prometheus.yml'),
    [
      'global: { scrape_interval: 200ms, evaluation_interval: 1s }',
      'scrape_configs:',
      `  - { job_name: fld, static_configs: [ { targets: ['${target}'] } ] }`,
      '',
    ].join('\n'),
  );
  // Prometheus cannot report a port it chose, so take a free one; a collision only fails this setup
  const port = await freePort();
  endpoint = `http://127.0.0.1:${port}`;
  prom = spawn(
    '/usr/bin/prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  prom.stderr!.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  // bounded wait until the query returns data
  const until = Date.now() + 25_000;
  for (;;) {
    if (prom.exitCode !== null) throw new Error(`prometheus exited: ${stderr}`);
    const r = await runProbe(
      prometheusProbe,
      { endpoint, query: 'fld_ratio', value: { type: 'float', criteria: '>=', value: 0 } },
      1000,
    );
    if (r.passed) break;
    if (Date.now() > until) throw new Error(`prometheus had no data within 25 s: ${r.message}\n${stderr}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}, 40_000);

afterAll(async () => {
  if (prom && prom.exitCode === null) {
    const gone = new Promise((r) => prom!.once('exit', r));
    prom.kill('SIGKILL');
    await gone;
  }
  await new Promise((r) => exporter.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe.concurrent('probe/prometheus', () => {
  const cases: [string, unknown, unknown][] = [
    ['<', 0.5, 0.25],
    ['>', 0.2, 0.25],
    ['<=', 0.25, 0.2],
    ['>=', 0.25, 0.3],
    ['==', 0.25, 0.26],
    ['!=', 1, 0.25],
    ['oneOf', [0.25, 1], [0, 1]],
    ['between', [0.2, 0.3], [0.3, 1]],
  ];
  for (const [criteria, pass, fail] of cases) {
    it(`value ${criteria}`, async () => {
      const q = (value: unknown) =>
        runProbe(prometheusProbe, {
          endpoint,
          query: 'fld_ratio',
          value: { type: 'float', criteria, value },
        });
      const [yes, no] = await Promise.all([q(pass), q(fail)]);
      expect([yes.passed, no.passed], `${yes.message} / ${no.message}`).toEqual([true, false]);
      expect(yes.value).toBe(0.25);
    });
  }

  it('takes a scalar result and aggregates', async () => {
    const r = await runProbe(prometheusProbe, {
      endpoint,
      query: 'scalar(fld_ratio) * 4',
      value: { type: 'int', criteria: '==', value: 1 },
    });
    expect(r.passed, r.message).toBe(true);
    const sum = await runProbe(prometheusProbe, {
      endpoint,
      query: 'sum(fld_depth)',
      value: { type: 'float', criteria: '==', value: 12 },
    });
    expect(sum.passed, sum.message).toBe(true);
  });

  it('noData: fail by default, pass when asked', async () => {
    const base = { endpoint, query: 'fld_absent_metric', value: { type: 'float', criteria: '<', value: 1 } };
    const fail = await runProbe(prometheusProbe, base);
    expect(fail.passed).toBe(false);
    expect(fail.message).toContain('no data');
    expect((await runProbe(prometheusProbe, { ...base, noData: 'pass' })).passed).toBe(true);
  });

  it('reports a rejected query and an unreachable server', async () => {
    const bad = await runProbe(prometheusProbe, {
      endpoint,
      query: 'sum(',
      value: { type: 'float', criteria: '<', value: 1 },
    });
    expect(bad.passed).toBe(false);
    expect(bad.message).toContain('rejected');
    const gone = await runProbe(prometheusProbe, {
      endpoint: `http://127.0.0.1:${await freePort()}`,
      query: 'up',
      value: { type: 'float', criteria: '==', value: 1 },
    });
    expect(gone.passed).toBe(false);
    expect(gone.message).toContain('ECONNREFUSED');
  });

  it('a range query is refused with a hint', async () => {
    const r = await runProbe(prometheusProbe, {
      endpoint,
      query: 'fld_ratio[5s]',
      value: { type: 'float', criteria: '<', value: 1 },
    });
    expect(r.passed).toBe(false);
    expect(r.message).toContain('matrix');
  });
});
