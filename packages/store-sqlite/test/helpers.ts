// Fixtures shared by this package's tests (not exported from the package, never shipped).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type EventDraft,
  type ExperimentSpec,
  type FaultlineEvent,
  type JournalEntry,
  objectName,
  type RunResult,
} from '@faultline/core';
import { entryId } from '@faultline/core/internal';

/** A temp dir named with this package's prefix; `cleanup` removes it. */
export function tempDir(): { dir: string; file: (name?: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'fle-'));
  return {
    dir,
    file: (name = 'faultline.db') => join(dir, name),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A temp dir removed when the (concurrent) test finishes. */
export function testDir(onTestFinished: (fn: () => void) => void): ReturnType<typeof tempDir> {
  const t = tempDir();
  onTestFinished(() => t.cleanup());
  return t;
}

/** A journal entry as the runner writes it before inject. */
export function entry(runId: string, stepId: string, iteration = 0, at = new Date()): JournalEntry {
  const ts = at.toISOString();
  return {
    id: entryId(runId, stepId, iteration),
    runId,
    stepId,
    iteration,
    kind: 'linux/network-loss',
    pack: '@faultline/faults-linux',
    tunables: { percent: 30 },
    objectName: objectName(runId, stepId, iteration),
    state: 'injecting',
    bootId: 'boot-1',
    pid: process.pid,
    pidStart: '1',
    createdAt: ts,
    updatedAt: ts,
  };
}

/** A one-step spec. */
export function spec(name: string): ExperimentSpec {
  return {
    apiVersion: 'faultline/v1',
    kind: 'Experiment',
    metadata: { name },
    spec: { steps: [{ faults: [{ id: 'loss', kind: 'linux/network-loss', tunables: { percent: 30 } }] }] },
  };
}

/** A finished run's result. */
export function result(
  runId: string,
  experiment: string,
  score: number | null,
  startedAt = new Date(),
): RunResult {
  return {
    runId,
    experiment,
    verdict: score === 100 ? 'Pass' : 'Fail',
    score,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date(startedAt.getTime() + 1000).toISOString(),
    durationMs: 1000,
    faults: [],
    probes: [],
    reverts: [],
  };
}

/** The events of a plausible run with `probes` probe results: seq 1..n, ending in run.finished. */
export function runEvents(runId: string, experiment: string, probes: number): FaultlineEvent[] {
  const evs: EventDraft[] = [
    { type: 'run.started', experiment, steps: 1, faults: 1 },
    { type: 'step.started', step: 0, faults: ['loss'] },
    {
      type: 'fault.injecting',
      stepId: 'loss',
      kind: 'linux/network-loss',
      entryId: `${runId}:loss:0`,
      iteration: 0,
    },
    {
      type: 'fault.injected',
      stepId: 'loss',
      kind: 'linux/network-loss',
      entryId: `${runId}:loss:0`,
      iteration: 0,
      receipt: { table: 't' },
      ms: 3,
    },
  ];
  for (let i = 0; i < probes; i++) {
    evs.push({
      type: 'probe.result',
      stepId: 'loss',
      probe: 'http',
      kind: 'probe/http',
      mode: 'Continuous',
      phase: 'during',
      passed: i % 7 !== 0,
      attempt: 1,
      value: i,
      ms: 2,
    });
  }
  evs.push(
    {
      type: 'fault.reverting',
      stepId: 'loss',
      kind: 'linux/network-loss',
      entryId: `${runId}:loss:0`,
      attempt: 1,
    },
    { type: 'fault.reverted', stepId: 'loss', kind: 'linux/network-loss', entryId: `${runId}:loss:0`, ms: 2 },
  );
  const res = result(runId, experiment, 85.71);
  evs.push({ type: 'run.finished', verdict: res.verdict, score: res.score, result: res });
  return evs.map((e, i) => ({ ...e, seq: i + 1, ts: new Date().toISOString(), runId }) as FaultlineEvent);
}
