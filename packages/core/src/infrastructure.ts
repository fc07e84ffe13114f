import { hostname, release } from 'node:os';
import type { Capability } from './model.js';
import type { RunHandle } from './runner.js';
import type { ExperimentSpec } from './spec.js';

/** What an infrastructure says about itself. */
export interface InfraInfo {
  id: string;
  host: string;
  kernel: string;
  /** Capability per fault kind registered there. */
  capabilities: Record<string, Capability>;
}

/** Options of one execution. */
export interface ExecuteOptions {
  /** Aborting it aborts the run (faults are reverted). */
  signal?: AbortSignal | undefined;
  /**
   * The run's id (default: a random UUID). A remote infrastructure sends it with the run, so the
   * handle knows its id at once and a retried request cannot start the run twice.
   */
  runId?: string | undefined;
}

/** Where faults land: this process (local) or an agent on another host (remote). */
export interface Infrastructure {
  readonly id: string;
  describe(signal?: AbortSignal): Promise<InfraInfo>;
  execute(spec: ExperimentSpec, opts: ExecuteOptions): RunHandle;
}

/** Host facts for `describe()`. */
export function hostFacts(): { host: string; kernel: string } {
  return { host: hostname(), kernel: release() };
}
