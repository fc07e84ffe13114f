/**
 * @faultline/core/internal — for faultline's own packages (the packs, the stores, the agent, the
 * CLI) and the repository's bench and scripts: the runner, the planner, revert, recovery, the
 * guard, the platform, the wire schemas. Documented (packages/core/README.md), but NOT promised
 * stable: a minor release may change any of it. Users import from `@faultline/core`.
 */

export { toProbeSpec } from './builder.js';
export { NUMBER_CRITERIA, STRING_CRITERIA } from './comparators.js';
export { errorToJSON } from './errors.js';
export { EventLog } from './event-log.js';
export { EventStream, parseNdjson } from './event-stream.js';
export { Guard, HANDLED_SIGNALS, locatorOf } from './guard.js';
export { JOURNAL_RESERVE_BYTES } from './journal/reserve.js';
export { UNFINISHED_STATES } from './journal.js';
export { makeLogger } from './logger.js';
export { entryId } from './names.js';
export { planExperiment } from './plan.js';
export { nodePlatform, type Platform, readProcStat, withBootId } from './platform.js';
export { isAlive, type RecoverDeps, recover } from './recover.js';
export { isJson } from './registry.js';
export { DEFAULT_RETRY, type RevertHooks, revertEntry } from './revert.js';
export { type RunnerDeps, startRun } from './runner.js';
export { probeSuccess, resilienceScore, verdictOf } from './score.js';
export type { SentinelHandle, SentinelLauncher } from './sentinel/launcher.js';
export type { SentinelCommand, SentinelConfig } from './sentinel/protocol.js';
export {
  experimentSpecSchema,
  faultStepSchema,
  PROBE_MODES,
  probeSpecSchema,
  runPropertiesSchema,
  STEP_ID,
  stepSchema,
} from './spec.js';
export { sleep } from './timing.js';
