/**
 * @faultline/core — chaos experiments in code: the model, the runner, the rollback journal and the
 * resilience score. Packs (faults, probes) register themselves by kind; core never imports a pack.
 *
 * This entry is what a user calls: the runtime, the builder, define*, journals, hubs, errors, units
 * and the model, spec, event and result types. What faultline's own packages need besides lives in
 * `@faultline/core/internal`; contract suites and test helpers in `@faultline/core/testing`.
 * `test/exports.test.ts` holds the list of names, so this API grows only on purpose.
 */

export {
  ExperimentBuilder,
  experiment,
  type FaultInput,
  type ProbeLike,
  type StepOptions,
} from './builder.js';
export { type Comparator, type Comparison, comparatorSchema, compare } from './comparators.js';
export { ERROR_CODES, type ErrorCode, FaultlineError, isFaultlineError } from './errors.js';
export type { EventStream } from './event-stream.js';
export type { EventDraft, EventOf, EventType, FaultlineEvent, ProbePhase } from './events.js';
export type { SentinelOptions } from './guard.js';
export { folderHub, fromTemplate, type Hub, packHub } from './hub.js';
export type { ExecuteOptions, InfraInfo, Infrastructure } from './infrastructure.js';
export {
  defaultJournalPath,
  FileJournal,
  type FileJournalOptions,
  type FileJournalStats,
} from './journal/file-journal.js';
export { MemoryJournal } from './journal/memory-journal.js';
export { openFileJournal } from './journal/open.js';
export type {
  JournalEntry,
  JournalLocator,
  JournalPatch,
  JournalState,
  RollbackJournal,
} from './journal.js';
export type { Json, JsonObject } from './json.js';
export { silentLogger } from './logger.js';
export {
  type Capability,
  type CheckContext,
  defineFault,
  definePack,
  defineProbe,
  type FaultDefinition,
  type FaultTemplate,
  type InjectContext,
  type InjectionIds,
  type Leftover,
  type LeftoverScanContext,
  type Logger,
  type LogLevel,
  type Pack,
  type ProbeContext,
  type ProbeDefinition,
  type ProbeOutcome,
  type RevertContext,
  type TunablesInput,
} from './model.js';
export { OBJECT_PREFIX, objectName } from './names.js';
export type { Plan, PlannedFault, PlannedProbe } from './plan.js';
export { defaultStateDir } from './platform.js';
export type { PriorityControl } from './priority.js';
export type { RecoveredEntry, RecoveredLeftover, RecoverOptions, RecoveryReport } from './recover.js';
export { type FaultRef, faultRef, parseTunables, type Registered, Registry } from './registry.js';
export type { FaultResult, ProbeResult, RevertResult, RunResult, Verdict } from './result.js';
export type { RetryPolicy } from './revert.js';
export type { RunHandle } from './runner.js';
export { createRuntime, type RunSink, type Runtime, type RuntimeOptions } from './runtime.js';
export type {
  ExperimentSpec,
  FaultStep,
  FaultStepInput,
  ProbeMode,
  ProbeSpec,
  ResolvedProbeSpec,
  ResolvedSpec,
  RunProperties,
  RunPropertiesInput,
} from './spec.js';
export {
  type DurationInput,
  type DurationOptions,
  durationSchema,
  formatDuration,
  MAX_DURATION_MS,
  MAX_SIZE_BYTES,
  parseDuration,
  parsePercent,
  parseSize,
  percentSchema,
  type SizeInput,
  sizeSchema,
} from './units.js';
