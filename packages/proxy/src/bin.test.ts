import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { echoServer } from '../test/servers.js';

const BIN = fileURLToPath(new URL('./bin.ts', import.meta.url));

/** Starts the bin as `faultline-proxy ARGS` and waits for its listening line. */
async function start(args: string[]): Promise<{ child: ChildProcess; url: string; out: () => string }> {
  const child = spawn(process.execPath, ['--conditions=@faultline/source', '--import', 'tsx', BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no listening line: ${out}`)), 15_000);
    child.stdout!.on('data', () => {
      const m = /"url":"([^"]+)"/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m[1]!);
      }
    });
    child.once('exit', () => reject(new Error(`exited: ${out}`)));
  });
  return { child, url, out: () => out };
}

const exit = (c: ChildProcess) =>
  new Promise<number | null>((r) =>
    c.exitCode !== null ? r(c.exitCode) : c.once('exit', (code) => r(code)),
  );

const listening = (port: number) =>
  new Promise<boolean>((r) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      r(true);
    });
    s.once('error', () => r(false));
  });

describe('faultline-proxy (the bin)', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`starts like toxiproxy-server with --config, and stops cleanly on ${signal}`, {
      timeout: 30_000,
    }, async () => {
      const echo = await echoServer();
      const dir = await mkdtemp(join(tmpdir(), 'flp-bin-'));
      const config = join(dir, 'toxiproxy.json');
      await writeFile(
        config,
        JSON.stringify([{ name: 'echo', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echo.port}` }]),
      );
      const { child, url, out } = await start(['--host', '127.0.0.1', '--port', '0', '--config', config]);
      try {
        const proxies = (await (await fetch(`${url}/proxies`)).json()) as Record<string, { listen: string }>;
        const port = Number(proxies.echo!.listen.split(':')[1]);
        expect(await listening(port)).toBe(true);
        child.kill(signal);
        expect(await exit(child)).toBe(0);
        expect(out()).toContain(`"signal":"${signal}"`);
        expect(await listening(port)).toBe(false); // its proxies went with it
        await expect(fetch(`${url}/version`)).rejects.toThrow();
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
        await echo.close();
        await rm(dir, { recursive: true, force: true });
      }
    });
  }

  it('--version, and a port in use is an error that exits 1', { timeout: 30_000 }, async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number | null; out: string }>((r) => {
        const c = spawn(process.execPath, [
          '--conditions=@faultline/source',
          '--import',
          'tsx',
          BIN,
          ...args,
        ]);
        let out = '';
        c.stdout.on('data', (d) => (out += d));
        c.stderr.on('data', (d) => (out += d));
        c.once('exit', (code) => r({ code, out }));
      });
    expect((await run(['--version'])).out).toBe('faultline-proxy version 0.1.0\n');
    const first = await start(['--port', '0']);
    try {
      const port = new URL(first.url).port;
      const second = await run(['--port', port]);
      expect(second.code).toBe(1);
      expect(second.out).toContain('EADDRINUSE');
    } finally {
      first.child.kill('SIGTERM');
      await exit(first.child);
    }
  });
});
