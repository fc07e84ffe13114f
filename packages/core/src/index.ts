/**
 * @faultline/core — chaos experiments in code: the model, the runner, the rollback journal and the
 * resilience score. Packs (faults, probes) register themselves by kind; core never imports a pack.
 */
export { ERROR_CODES, FaultlineError, isFaultlineError, errorToJSON, type ErrorCode } from './errors.js';
export type { Json, JsonObject } from './json.js';
export {
  parseDuration, parseSize, parsePercent, formatDuration, durationSchema, sizeSchema, percentSchema,
  type DurationInput, type SizeInput,
} from './units.js';
export {
  defineFault, defineProbe, definePack,
  type FaultDefinition, type ProbeDefinition, type Pack, type FaultTemplate, type Capability,
  type CheckContext, type InjectContext, type RevertContext, type InjectionIds, type ProbeContext,
  type ProbeOutcome, type Logger, type LogLevel, type TunablesInput,
} from './model.js';
export { compare, comparatorSchema, NUMBER_CRITERIA, STRING_CRITERIA, type Comparator, type Comparison } from './comparators.js';
export {
  experimentSpecSchema, faultStepSchema, probeSpecSchema, runPropertiesSchema, stepSchema, PROBE_MODES, STEP_ID,
  type ExperimentSpec, type ResolvedSpec, type FaultStep, type FaultStepInput, type ProbeSpec, type ResolvedProbeSpec,
  type ProbeMode, type RunProperties, type RunPropertiesInput,
} from './spec.js';
export type { FaultlineEvent, EventType, EventOf, EventDraft, ProbePhase } from './events.js';
export type { RunResult, FaultResult, ProbeResult, RevertResult, Verdict } from './result.js';
export { UNFINISHED_STATES, type JournalEntry, type JournalPatch, type JournalState, type RollbackJournal } from './journal.js';
export { Registry, parseTunables, faultRef, isJson, type FaultRef, type Registered } from './registry.js';
export { makeLogger, silentLogger } from './logger.js';
export { objectName, entryId, OBJECT_PREFIX } from './names.js';
export { nodePlatform, withBootId, readProcStat, defaultStateDir, type Platform } from './platform.js';
