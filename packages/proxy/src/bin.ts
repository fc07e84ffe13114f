#!/usr/bin/env node
// faultline-proxy: starts like toxiproxy-server (--host, --port, --config) and stops on SIGTERM/SIGINT.
import { parseArgs } from 'node:util';
import { startProxyServer } from './server.js';
import { VERSION } from './version.js';

const USAGE = `usage: faultline-proxy [--host 127.0.0.1] [--port 8474] [--config proxies.json] [--version]`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '8474' },
      config: { type: 'string' },
      version: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (values.version) {
    process.stdout.write(`faultline-proxy version ${VERSION}\n`);
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port ${values.port}: 0-65535`);
  const server = await startProxyServer({
    host: values.host,
    port,
    ...(values.config ? { config: values.config } : {}),
  });
  const log = (msg: string, extra: Record<string, unknown> = {}) =>
    process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), msg, ...extra })}\n`);
  log('faultline-proxy API listening', { url: server.url, proxies: server.proxies.list().length });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log('shutdown started', { signal });
    server.close().then(
      () => {
        log('shutdown finished');
        process.exit(0);
      },
      (e: unknown) => {
        log('shutdown failed', { error: String(e) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((e: unknown) => {
  process.stderr.write(`faultline-proxy: ${e instanceof Error ? e.message : String(e)}\n${USAGE}\n`);
  process.exit(1);
});
