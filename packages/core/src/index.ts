/**
 * @faultline/core — chaos experiments in code: the model, the runner, the rollback journal and the
 * resilience score. Packs (faults, probes) register themselves by kind; core never imports a pack.
 */

export {
  ExperimentBuilder,
  experiment,
  type FaultInput,
  type ProbeLike,
  type StepOptions,
  toProbeSpec,
} from './builder.js';
export {
  type Comparator,
  type Comparison,
  comparatorSchema,
  compare,
  NUMBER_CRITERIA,
  STRING_CRITERIA,
} from './comparators.js';
export { ERROR_CODES, type ErrorCode, errorToJSON, FaultlineError, isFaultlineError } from './errors.js';
export { EventLog } from './event-log.js';
export { EventStream, parseNdjson } from './event-stream.js';
export type { EventDraft, EventOf, EventType, FaultlineEvent, ProbePhase } from './events.js';
export { Guard, HANDLED_SIGNALS, locatorOf, type SentinelOptions } from './guard.js';
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
export type { JournalLocator } from './journal.js';
export {
  type JournalEntry,
  type JournalPatch,
  type JournalState,
  type RollbackJournal,
  UNFINISHED_STATES,
} from './journal.js';
export type { Json, JsonObject } from './json.js';
export { makeLogger, silentLogger } from './logger.js';
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
export { entryId, OBJECT_PREFIX, objectName } from './names.js';
export { type Plan, type PlannedFault, type PlannedProbe, planExperiment } from './plan.js';
export { defaultStateDir, nodePlatform, type Platform, readProcStat, withBootId } from './platform.js';
export type { PriorityControl } from './priority.js';
export {
  isAlive,
  type RecoveredEntry,
  type RecoveredLeftover,
  type RecoverOptions,
  type RecoveryReport,
  recover,
} from './recover.js';
export { type FaultRef, faultRef, isJson, parseTunables, type Registered, Registry } from './registry.js';
export type { FaultResult, ProbeResult, RevertResult, RunResult, Verdict } from './result.js';
export { DEFAULT_RETRY, type RetryPolicy, revertEntry } from './revert.js';
export { type RunHandle, type RunnerDeps, startRun } from './runner.js';
export { createRuntime, type RunSink, type Runtime, type RuntimeOptions } from './runtime.js';
export { probeSuccess, resilienceScore, verdictOf } from './score.js';
export type { SentinelHandle, SentinelLauncher } from './sentinel/launcher.js';
export type { SentinelCommand, SentinelConfig } from './sentinel/protocol.js';
export {
  type ExperimentSpec,
  experimentSpecSchema,
  type FaultStep,
  type FaultStepInput,
  faultStepSchema,
  PROBE_MODES,
  type ProbeMode,
  type ProbeSpec,
  probeSpecSchema,
  type ResolvedProbeSpec,
  type ResolvedSpec,
  type RunProperties,
  type RunPropertiesInput,
  runPropertiesSchema,
  STEP_ID,
  stepSchema,
} from './spec.js';
export { sleep } from './timing.js';
export {
  type DurationInput,
  durationSchema,
  formatDuration,
  parseDuration,
  parsePercent,
  parseSize,
  percentSchema,
  type SizeInput,
  sizeSchema,
} from './units.js';
