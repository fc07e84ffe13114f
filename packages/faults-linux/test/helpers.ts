// Helpers for this package's tests only (not exported by the pack).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createRuntime,
  definePack,
  defineProbe,
  MemoryJournal,
  type Pack,
  type Runtime,
} from '@faultline/core';
import { revertContext } from '@faultline/core/testing';
import * as v from 'valibot';
import pack, { scanLeftovers } from '../src/index.js';
import type { Leftover } from '../src/leftovers.js';

/** A child `sleep` the test owns; `stop()` kills and reaps it. */
export function spawnSleeper(
  seconds = 60,
  argv0 = 'sleep',
): { child: ChildProcess; pid: number; stop: () => Promise<void> } {
  const child = spawn(argv0, [String(seconds)], { stdio: 'ignore' });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    child,
    pid: child.pid!,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGCONT');
        child.kill('SIGKILL');
      }
      await exited;
    },
  };
}

/** A temp dir under /tmp named with this engineer's prefix. */
export function tempDir(): { path: string; remove: () => void } {
  const path = mkdtempSync('/tmp/flc-');
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

let n = 0;
/** Object names this test file's testCtx() handed out (each file runs in its own worker). */
const issued = new Set<string>();
/** A fresh injection context for a hand-written test (runId starts with `flc`). */
export function testCtx<T>(stepId: string, tunables: T, stateDir = '/tmp/flc-state') {
  // objectName keeps 8 chars of the run id: the unique part must come first
  const runId = `flc${(n++ % 36).toString(36)}${Math.random().toString(36).slice(2, 6)}${Date.now().toString(36)}`;
  // the caller parsed the tunables: the context from the injection's facts (the shape inject gets too)
  const ctx = revertContext({ runId, stepId, tunables, stateDir });
  issued.add(ctx.objectName);
  return ctx;
}

/** Leftovers whose name ends with one of the suffixes or equals one of the names. */
export async function leftoversOf(
  names: readonly string[],
  opts: { stateDir?: string; allowedRoots?: string[] } = {},
): Promise<Leftover[]> {
  const all = await scanLeftovers(opts);
  return all.filter((l) => names.some((x) => l.name === x || l.name.endsWith(x)));
}

/** Polls until `f()` is true (bounded). */
export async function until(f: () => boolean, ms = 3000): Promise<boolean> {
  for (let t = 0; t < ms; t += 20) {
    if (f()) return true;
    await sleep(20);
  }
  return f();
}

/**
 * Leftovers of this test file, for its afterAll: names its testCtx() handed out, plus names ending
 * with the contract's `_k<kind>` step id (only the file testing that kind uses it). Never a suffix
 * another file's runs may share: the scan sees the whole host.
 */
export async function leftoversOfThisFile(contractSuffix: string): Promise<Leftover[]> {
  return (await scanLeftovers()).filter((l) => issued.has(l.name) || l.name.endsWith(contractSuffix));
}

/** A runtime over these packs with an in-memory journal, and no recovery, sentinel, signal handlers or run logs. */
export function quietRuntimeOf(packs: Pack[], stateDir: string): Promise<Runtime> {
  return createRuntime({
    packs,
    stateDir,
    journal: new MemoryJournal(),
    recover: false,
    sentinel: false,
    signals: false,
    eventLog: false,
  });
}

/**
 * A runtime for tests about the faults: this pack plus a probe that always passes (the health
 * probes have their own tests), quiet as {@link quietRuntimeOf}. `probes` is what a step names to
 * use that probe.
 */
export async function quietRuntime(
  stateDir: string,
): Promise<{ runtime: Runtime; probes: { name: string; kind: string }[] }> {
  const ok = definePack({
    name: 'flc-test-probes',
    probes: [
      defineProbe({
        kind: 'probe/flc-ok',
        summary: 'always passes',
        tunables: v.strictObject({}),
        run: async () => ({ passed: true }),
      }),
    ],
  });
  const runtime = await quietRuntimeOf([pack, ok], stateDir);
  return { runtime, probes: [{ name: 'ok', kind: 'probe/flc-ok' }] };
}
