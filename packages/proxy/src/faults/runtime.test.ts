import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createRuntime,
  definePack,
  defineProbe,
  experiment,
  FileJournal,
  silentLogger,
} from '@faultline/core';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { faultTarget } from '../../test/fault-target.js';
import { dial, echoServer, roundTrip } from '../../test/servers.js';
import { pack, proxy } from '../index.js';
import { proxyLatency } from './stream-faults.js';

/** A probe that measures one round trip through the proxy and passes when it is at least `minMs`. */
const rttPack = definePack({
  name: 'flp-test-probes',
  probes: [
    defineProbe({
      kind: 'probe/flp-rtt',
      summary: 'round trip through a TCP echo',
      tunables: v.strictObject({ port: v.number(), minMs: v.number() }),
      run: async ({ tunables }) => {
        const s = await dial(tunables.port);
        try {
          const ms = await roundTrip(s);
          return { passed: ms >= tunables.minMs, value: ms };
        } finally {
          s.destroy();
        }
      },
    }),
  ],
});

describe('proxy faults in a faultline runtime', () => {
  it('are journaled with their receipts, in effect during the chaos window, and reverted after', {
    timeout: 30_000,
  }, async () => {
    const target = await faultTarget('tcp');
    const stateDir = await mkdtemp(join(tmpdir(), 'flp-rt-'));
    const runtime = await createRuntime({
      packs: [pack, rttPack],
      stateDir,
      sentinel: false,
      signals: false,
    });
    try {
      const probe = (minMs: number) => ({
        name: `rtt-${minMs}`,
        kind: 'probe/flp-rtt',
        tunables: { port: target.port, minMs },
        mode: 'OnChaos' as const,
        runProperties: { pollingInterval: '200ms' },
      });
      const spec = experiment('the dependency gets slow, then drops')
        .fault(proxy.latency({ ...target.tunables, latency: '250ms' }), {
          duration: '800ms',
          probes: [probe(245)],
        })
        .fault(proxy.bandwidth({ ...target.tunables, rate: 50, scope: 'proxy' }), {
          duration: '300ms',
          probes: [probe(0)],
        })
        .build();
      const result = await runtime.run(spec).result;
      expect(result.verdict).toBe('Pass');
      expect(result.score).toBe(100);
      // the pack's own health check ran before and after each window
      const health = result.probes.filter((p) => p.kind === 'probe/proxy-up');
      expect(health.map((p) => [p.stepId, p.passed, p.runs])).toHaveLength(2);
      for (const h of health) expect([h.passed, h.runs]).toEqual([true, 2]);
      // everything reverted: the proxy is clean, traffic is fast again
      expect(target.server.proxies.get('p').toxics.list()).toEqual([]);
      const s = await dial(target.port);
      expect(await roundTrip(s)).toBeLessThan(50);
      s.destroy();
      // the journal holds what a fresh process needs: control URL, proxy, toxic name
      const journal = await FileJournal.open(join(stateDir, 'journal.jsonl'), { onWarning: () => {} });
      expect(await journal.pending()).toEqual([]);
      const entries = await Promise.all(result.reverts.map((r) => journal.get(r.entryId)));
      await journal.close();
      expect(entries.map((e) => [e?.kind, e?.pack, e?.state]).sort()).toEqual([
        ['proxy/bandwidth', '@faultline/proxy', 'reverted'],
        ['proxy/latency', '@faultline/proxy', 'reverted'],
      ]);
      for (const e of entries) {
        expect(e?.receipt).toEqual({
          control: target.server.url,
          proxy: 'p',
          toxic: expect.stringMatching(/^faultline_/),
        });
      }
    } finally {
      await runtime.close();
      await target.cleanup();
      await rm(stateDir, { recursive: true, force: true });
    }
  });

  it('proxy/down with only its health check: refused during the window, up before and after', {
    timeout: 30_000,
  }, async () => {
    const target = await faultTarget('tcp');
    const stateDir = await mkdtemp(join(tmpdir(), 'flp-rt-'));
    const runtime = await createRuntime({ packs: [pack], stateDir, sentinel: false, signals: false });
    try {
      const run = runtime.run(
        experiment('the dependency goes away')
          .fault(proxy.down(target.tunables), { duration: '500ms' })
          .build(),
      );
      let refused: unknown;
      for await (const ev of run.events) {
        if (ev.type === 'fault.injected')
          refused = await dial(target.port).then(
            (s) => s.destroy(),
            (e: unknown) => e,
          );
      }
      const result = await run.result;
      expect(refused).toMatchObject({ code: 'ECONNREFUSED' });
      expect(result.verdict).toBe('Pass');
      expect(result.probes.map((p) => [p.kind, p.passed])).toEqual([['probe/proxy-up', true]]);
      expect(target.server.proxies.get('p').enabled).toBe(true);
    } finally {
      await runtime.close();
      await target.cleanup();
      await rm(stateDir, { recursive: true, force: true });
    }
  });

  it('when the proxy process is gone its toxics are gone: present() is false and revert succeeds', {
    timeout: 30_000,
  }, async () => {
    const echo = await echoServer();
    const bin = fileURLToPath(new URL('../bin.ts', import.meta.url));
    const child: ChildProcess = spawn(
      process.execPath,
      ['--conditions=@faultline/source', '--import', 'tsx', bin, '--port', '0'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout!.on('data', (d: Buffer) => {
          const m = /"url":"([^"]+)"/.exec(d.toString());
          if (m) resolve(m[1]!);
        });
        child.once('exit', () => reject(new Error('the bin exited')));
      });
      await fetch(`${url}/proxies`, {
        method: 'POST',
        body: JSON.stringify({ name: 'db', upstream: `127.0.0.1:${echo.port}` }),
      });
      const ctx = {
        runId: 'flpgone1',
        stepId: 'lat',
        iteration: 0,
        objectName: 'faultline_flpgone1_lat',
        tunables: v.parse(proxyLatency.tunables, { control: url, proxy: 'db', latency: '100ms' }),
        signal: new AbortController().signal,
        log: silentLogger,
        stateDir: tmpdir(),
      };
      const receipt = await proxyLatency.inject(ctx);
      expect(receipt).toEqual({ control: url, proxy: 'db', toxic: 'faultline_flpgone1_lat' });
      expect(await proxyLatency.present!(receipt, ctx)).toBe(true);
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      expect(await proxyLatency.present!(receipt, ctx)).toBe(false);
      await proxyLatency.revert(receipt, ctx); // no throw: nothing is left to undo
      expect(proxyLatency.manual(receipt, ctx)).toContain(
        `curl -sS -X DELETE ${url}/proxies/db/toxics/faultline_flpgone1_lat`,
      );
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await echo.close();
    }
  });
});
