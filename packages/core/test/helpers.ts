import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { createRuntime, type JournalEntry, MemoryJournal, type RuntimeOptions } from '../src/index.js';
import { pack, touchFiles } from './pack.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** A temp dir removed after the file's tests. */
export async function tempDir(prefix = 'faultline-core-'): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

/** A runtime over the test pack, with its own state dir and (by default) a memory journal. */
export async function testRuntime(opts: RuntimeOptions = {}) {
  const stateDir = opts.stateDir ?? (await tempDir('faultline-state-'));
  return createRuntime({
    packs: [pack],
    stateDir,
    journal: opts.journal ?? new MemoryJournal(),
    retry: { backoffMs: 10 },
    ...opts,
  });
}

/** The files a touch-files injection made, or false when its folder is gone. */
export function injected(dir: string, runId: string, stepId: string): boolean {
  return existsSync(
    join(dir, `faultline_${runId.replace(/[^a-z0-9]/gi, '').slice(0, 8)}_${stepId.replace(/-/g, '_')}`),
  );
}

/**
 * The journal entry a run writes for a touch-files injection (state `injecting`), from the context
 * the test injects with; `over` sets the rest (boot id, pid and start time: whose it looks like).
 */
export function touchFilesEntry(
  ctx: { runId: string; stepId: string; objectName: string },
  dir: string,
  over: Partial<JournalEntry> = {},
): JournalEntry {
  const now = new Date().toISOString();
  return {
    id: `${ctx.runId}:${ctx.stepId}:0`,
    runId: ctx.runId,
    stepId: ctx.stepId,
    iteration: 0,
    kind: touchFiles.kind,
    pack: pack.name,
    tunables: { dir, count: 1, injectDelayMs: 0, revertDelayMs: 0 },
    objectName: ctx.objectName,
    state: 'injecting',
    bootId: 'boot-before-reboot',
    pid: process.pid,
    pidStart: 'dead',
    createdAt: now,
    updatedAt: now,
    ...over,
  };
}
