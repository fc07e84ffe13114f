import type { Json } from './json.js';
import type { ProbeMode } from './spec.js';

/** Pass: every probe passed. Fail: a probe failed. Error: a fault or the runner failed. Aborted. */
export type Verdict = 'Pass' | 'Fail' | 'Error' | 'Aborted';

/** How one probe of one fault ended (all its runs together). */
export interface ProbeResult {
  stepId: string;
  probe: string;
  kind: string;
  mode: ProbeMode;
  /** Every run passed (Edge: both; Continuous/OnChaos: every poll). A probe that never ran fails. */
  passed: boolean;
  runs: number;
  failures: number;
  /** The last failure's message, or the last message. */
  message?: string;
  lastValue?: Json;
}

/** How one fault step ended. */
export interface FaultResult {
  stepId: string;
  kind: string;
  weight: number;
  /** completed: injected, window ran, reverted. errored: inject or revert failed. skipped: never ran. */
  status: 'completed' | 'errored' | 'skipped' | 'aborted';
  /** Passed probes / probes × 100; 0 when errored or skipped. */
  probeSuccess: number;
  injections: number;
  injectedAt?: string;
  revertedAt?: string;
  error?: { code: string; message: string };
}

/** One revert of one journal entry. */
export interface RevertResult {
  entryId: string;
  stepId: string;
  kind: string;
  ok: boolean;
  attempts: number;
  ms: number;
  error?: { code: string; message: string };
  /** The commands a person must run, when `ok` is false. */
  manual?: string;
  /**
   * The journal could not record how this revert ended (a full or failing disk). `ok` still says
   * what happened to the fault; the entry stays unfinished in the journal, so the next `recover()`
   * checks it again.
   */
  journalError?: { code: string; message: string };
}

/** What `run.result` resolves to. */
export interface RunResult {
  runId: string;
  experiment: string;
  verdict: Verdict;
  /** 0..100 rounded to 2 decimals; null when it cannot be computed (see scoreReason). */
  score: number | null;
  scoreReason?: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  faults: FaultResult[];
  probes: ProbeResult[];
  reverts: RevertResult[];
  /** Why the run ended early or errored. */
  error?: { code: string; message: string };
  abortReason?: string;
}
