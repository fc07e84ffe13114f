import type { Json, JsonObject } from './json.js';
import type { LogLevel } from './model.js';
import type { RunResult, Verdict } from './result.js';
import type { ProbeMode } from './spec.js';

interface Base {
  /** Monotonic within a run, from 1. */
  seq: number;
  /** ISO time. */
  ts: string;
  runId: string;
}
/** Where a probe run sits relative to the chaos window. */
export type ProbePhase = 'pre' | 'during' | 'post';

/** One typed union: the same objects go to listeners, iterators, NDJSON, SSE and stores. */
export type FaultlineEvent =
  | (Base & { type: 'run.started'; experiment: string; steps: number; faults: number })
  | (Base & { type: 'step.started'; step: number; name?: string; faults: string[] })
  | (Base & { type: 'fault.injecting'; stepId: string; kind: string; entryId: string; iteration: number })
  | (Base & {
      type: 'fault.injected';
      stepId: string;
      kind: string;
      entryId: string;
      iteration: number;
      receipt: Json;
      ms: number;
    })
  | (Base & {
      type: 'probe.result';
      stepId: string;
      probe: string;
      kind: string;
      mode: ProbeMode;
      phase: ProbePhase;
      passed: boolean;
      attempt: number;
      value?: Json;
      message?: string;
      ms: number;
    })
  | (Base & { type: 'log'; level: LogLevel; message: string; stepId?: string; data?: JsonObject })
  | (Base & { type: 'fault.reverting'; stepId: string; kind: string; entryId: string; attempt: number })
  | (Base & { type: 'fault.reverted'; stepId: string; kind: string; entryId: string; ms: number })
  | (Base & {
      type: 'fault.revert_failed';
      stepId: string;
      kind: string;
      entryId: string;
      error: { code: string; message: string };
      manual: string;
    })
  | (Base & { type: 'run.aborting'; reason: string; code?: string })
  | (Base & { type: 'run.finished'; verdict: Verdict; score: number | null; result: RunResult });

/** The `type` of every event. */
export type EventType = FaultlineEvent['type'];
/** The event of one type. */
export type EventOf<K extends EventType> = Extract<FaultlineEvent, { type: K }>;

/** Distributes Omit over the union. */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** An event before the stream stamps it with seq, ts and runId. */
export type EventDraft = DistributiveOmit<FaultlineEvent, 'seq' | 'ts' | 'runId'>;
