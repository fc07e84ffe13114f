// Every probe mode and run property, through core's real runtime, with real timing: a fault that
// creates a marker file, and probes of this pack against servers the test starts (each TCP server
// counts the connections — the probe runs — and when they came).
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createRuntime,
  defineFault,
  definePack,
  type EventOf,
  experiment,
  type FaultlineEvent,
  faultRef,
  MemoryJournal,
} from '@faultline/core';
import * as v from 'valibot';
import { afterAll, describe, expect, it } from 'vitest';
import { cmd, http, tcp } from './builders.js';
import probes from './index.js';

/** A real, harmless fault: a marker file exists while it is in effect. */
const marker = defineFault({
  kind: 'fld/marker',
  summary: 'creates a marker file while in effect',
  tunables: v.object({ path: v.string() }),
  async inject({ tunables }) {
    await writeFile(tunables.path, 'chaos');
    return { path: tunables.path };
  },
  async revert(_r, { tunables }) {
    await rm(tunables.path, { force: true });
  },
  async present(_r, { tunables }) {
    return existsSync(tunables.path);
  },
  manual: (_r, { tunables }) => `rm -f ${tunables.path}`,
});
const testPack = definePack({ name: 'fld-runner-modes-test', faults: [marker] });

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** A TCP server that records when each connection (probe run) arrived. */
async function counter(listenNow = true): Promise<{ port: number; hits: number[]; listen(): Promise<void> }> {
  const hits: number[] = [];
  const server: Server = createServer((s) => {
    hits.push(performance.now());
    s.end();
  });
  let port = 0;
  const listen = () => new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  await listen();
  port = (server.address() as AddressInfo).port;
  cleanups.push(() => new Promise((r) => server.close(r)));
  if (!listenNow) await new Promise((r) => server.close(r)); // keeps the port number, closed for now
  return { port, hits, listen };
}

async function setup() {
  const dir = await mkdtemp(join(tmpdir(), 'fld-modes-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const rt = await createRuntime({
    packs: [probes, testPack],
    stateDir: dir,
    journal: new MemoryJournal(),
    eventLog: false,
  });
  cleanups.push(() => rt.close());
  return { rt, path: join(dir, 'marker') };
}

interface Seen {
  e: FaultlineEvent;
  at: number;
}
async function runWith(
  rt: Awaited<ReturnType<typeof createRuntime>>,
  spec: ReturnType<ReturnType<typeof experiment>['build']>,
) {
  const seen: Seen[] = [];
  const t0 = performance.now();
  const run = rt.run(spec);
  run.events.on('*', (e: FaultlineEvent) => seen.push({ e, at: performance.now() }));
  const result = await run.result;
  const probeEvents = (name: string) =>
    seen.filter(
      (s): s is { e: EventOf<'probe.result'>; at: number } =>
        s.e.type === 'probe.result' && s.e.probe === name,
    );
  const at = (type: FaultlineEvent['type']) => seen.find((s) => s.e.type === type)!;
  return { result, seen, t0, probeEvents, at, run };
}

const gaps = (xs: number[]) => xs.slice(1).map((x, i) => x - xs[i]!);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const step = (path: string) => faultRef(marker, { path });

describe.concurrent('probe modes through the runtime', () => {
  it('SOT before the fault, EOT after it, Edge both; OnChaos polls only while the fault is in effect', async () => {
    const { rt, path } = await setup();
    const edge = await counter();
    const spec = experiment('modes')
      .fault(step(path), {
        id: 'marker',
        duration: '800ms',
        probes: [
          cmd(['test', '!', '-e', path]).mode('SOT').name('sot'),
          cmd(['test', '!', '-e', path]).mode('EOT').name('eot'),
          tcp('127.0.0.1', edge.port).mode('Edge').name('edge'),
          cmd(['test', '-e', path]).mode('OnChaos').every('100ms').name('onchaos'),
        ],
      })
      .build();
    const { result, probeEvents, at } = await runWith(rt, spec);
    expect(result.verdict, JSON.stringify(result.probes)).toBe('Pass');
    const injected = at('fault.injected').e.seq;
    const reverted = at('fault.reverted').e.seq;
    const [sot] = probeEvents('sot');
    expect(sot?.e).toMatchObject({ phase: 'pre', passed: true });
    expect(sot!.e.seq).toBeLessThan(injected);
    const [eot] = probeEvents('eot');
    expect(eot?.e).toMatchObject({ phase: 'post', passed: true });
    expect(eot!.e.seq).toBeGreaterThan(reverted);
    expect(probeEvents('edge').map((s) => s.e.phase)).toEqual(['pre', 'post']);
    expect(edge.hits).toHaveLength(2);
    const onchaos = probeEvents('onchaos');
    // 800 ms at 100 ms: ~8 polls, each saw the marker (it passed only while the fault was in effect)
    // lower bound loose: each poll spawns a process, and a busy CI loop skips slots rather than queue them
    expect(onchaos.length).toBeGreaterThanOrEqual(3);
    expect(onchaos.length).toBeLessThanOrEqual(10);
    expect(
      onchaos.every((s) => s.e.passed && s.e.phase === 'during' && s.e.seq > injected && s.e.seq < reverted),
    ).toBe(true);
    expect(existsSync(path)).toBe(false);
  });

  it('Continuous polls the whole step at its interval (ramp included); OnChaos only the window', async () => {
    const { rt, path } = await setup();
    const cont = await counter();
    const onchaos = await counter();
    const spec = experiment('continuous')
      .fault(step(path), {
        id: 'marker',
        duration: '1s',
        rampTime: '300ms',
        probes: [
          tcp('127.0.0.1', cont.port).mode('Continuous').every('100ms').name('continuous'),
          tcp('127.0.0.1', onchaos.port).mode('OnChaos').every('200ms').name('onchaos'),
        ],
      })
      .build();
    const { result, at } = await runWith(rt, spec);
    expect(result.verdict).toBe('Pass');
    const injectedAt = at('fault.injected').at;
    const revertedAt = at('fault.reverted').at;
    // ramp 300 + window 1000 + ramp 300 at 100 ms ≈ 16 polls
    expect(cont.hits.length).toBeGreaterThanOrEqual(8); // loose: a busy CI loop skips slots
    expect(cont.hits.length).toBeLessThanOrEqual(18);
    expect(median(gaps(cont.hits))).toBeGreaterThan(85);
    expect(median(gaps(cont.hits))).toBeLessThan(150); // still not the 200 ms of the other probe
    expect(cont.hits.filter((h) => h < injectedAt).length).toBeGreaterThanOrEqual(2); // during the ramp
    // 1 s at 200 ms ≈ 5 polls, all inside the window
    expect(onchaos.hits.length).toBeGreaterThanOrEqual(3);
    expect(onchaos.hits.length).toBeLessThanOrEqual(6);
    expect(onchaos.hits.every((h) => h >= injectedAt - 5 && h <= revertedAt)).toBe(true);
    expect(median(gaps(onchaos.hits))).toBeGreaterThan(180);
    expect(median(gaps(onchaos.hits))).toBeLessThan(300);
  });

  it('attempts: retries at its interval until it passes, or fails after the last attempt', async () => {
    const { rt, path } = await setup();
    const late = await counter(false);
    setTimeout(() => void late.listen(), 250); // the service comes up after 250 ms
    const never = await counter(false);
    const spec = experiment('retries')
      .fault(step(path), {
        id: 'marker',
        duration: '100ms',
        probes: [
          tcp('127.0.0.1', late.port).mode('SOT').attempts(6).interval('100ms').name('late'),
          tcp('127.0.0.1', never.port).mode('SOT').attempts(3).interval('150ms').name('never'),
        ],
      })
      .build();
    const { result, probeEvents, at } = await runWith(rt, spec);
    const lateRuns = probeEvents('late');
    expect(lateRuns.at(-1)!.e.passed).toBe(true);
    expect(lateRuns.length).toBeGreaterThanOrEqual(2);
    expect(lateRuns.length).toBeLessThanOrEqual(5);
    expect(lateRuns.map((s) => s.e.attempt)).toEqual(lateRuns.map((_, i) => i + 1));
    const neverRuns = probeEvents('never');
    expect(neverRuns.map((s) => [s.e.attempt, s.e.passed])).toEqual([
      [1, false],
      [2, false],
      [3, false],
    ]);
    for (const g of gaps(neverRuns.map((s) => s.at))) expect(g).toBeGreaterThanOrEqual(145);
    expect(result.verdict).toBe('Fail');
    expect(result.probes.find((p) => p.probe === 'never')).toMatchObject({
      passed: false,
      runs: 1,
      failures: 1,
    });
    expect(at('fault.reverted')).toBeDefined();
  });

  it('initialDelay waits before the first run; timeout bounds a probe against a hung server', async () => {
    const { rt, path } = await setup();
    const delayed = await counter();
    // a server that accepts and never answers
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const sockets: Socket[] = [];
    silent.on('connection', (s) => sockets.push(s));
    cleanups.push(async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    });
    const spec = experiment('delay-timeout')
      .fault(step(path), {
        id: 'marker',
        duration: '100ms',
        probes: [
          tcp('127.0.0.1', delayed.port).mode('SOT').initialDelay('300ms').name('delayed'),
          http
            .get(`http://127.0.0.1:${(silent.address() as AddressInfo).port}/`)
            .mode('SOT')
            .timeout('300ms')
            .name('hung'),
        ],
      })
      .build();
    const { result, probeEvents, at, t0 } = await runWith(rt, spec);
    expect(delayed.hits).toHaveLength(1);
    expect(delayed.hits[0]! - t0).toBeGreaterThanOrEqual(295);
    expect(at('fault.injected').at).toBeGreaterThan(delayed.hits[0]!);
    const [h] = probeEvents('hung');
    expect(h!.e.passed).toBe(false);
    expect(h!.e.ms).toBeGreaterThanOrEqual(290);
    expect(h!.e.ms).toBeLessThan(1500); // the server hangs: the slack is for a busy CI loop
    expect(result.verdict).toBe('Fail');
  });

  it('stopOnFailure stops the run early and the fault is still reverted', async () => {
    const { rt, path } = await setup();
    const spec = experiment('stop')
      .fault(step(path), {
        id: 'marker',
        duration: '10s',
        probes: [cmd(['false']).mode('OnChaos').every('100ms').stopOnFailure().name('fails')],
      })
      .build();
    const started = performance.now();
    const { result, seen, probeEvents } = await runWith(rt, spec);
    expect(performance.now() - started).toBeLessThan(3000);
    expect(probeEvents('fails')).toHaveLength(1);
    expect(seen.some((s) => s.e.type === 'run.aborting')).toBe(true);
    expect(seen.some((s) => s.e.type === 'fault.reverted')).toBe(true);
    expect(result.reverts.every((r) => r.ok)).toBe(true);
    expect(result.verdict).not.toBe('Pass');
    expect(result.error?.code).toBe('FL_PROBE');
    expect(existsSync(path)).toBe(false);
    expect(await rt.journal.pending()).toEqual([]);
  });
});
