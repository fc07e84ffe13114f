// The agent's wire: one valibot schema per body that crosses it. The agent validates requests with
// them, the client parses answers with them, and /openapi.json is generated from them, so the three
// cannot drift apart.
import { durationSchema, type InfraInfo, type RunResult } from '@faultline/core';
import * as v from 'valibot';

/** A run id: what `ExecuteOptions.runId` accepts (a UUID fits); it names files and kernel objects. */
export const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{7,63}$/;

/** The lease a client asks for: how often it will renew, and how long the agent waits without one. */
export const leaseRequestSchema = v.strictObject({
  /** How often the client renews (default 2s). */
  heartbeat: v.optional(durationSchema()),
  /** No renewal for this long and the agent aborts the run with FL_LINK_LOST (default 10s). */
  expiry: v.optional(durationSchema()),
});
/** A lease as requested. */
export type LeaseRequest = v.InferInput<typeof leaseRequestSchema>;

/** What `POST /v1/runs` takes besides the ExperimentSpec itself (same object, top-level keys). */
export const runEnvelopeSchema = v.object({
  /** The run's id, chosen by the client so a retried POST cannot start it twice (default: a UUID). */
  id: v.optional(v.pipe(v.string(), v.regex(RUN_ID, 'a run id is 8-64 chars of A-Z a-z 0-9 _ . -'))),
  lease: v.optional(leaseRequestSchema),
});

/** The lease in effect, in milliseconds (the agent caps what was asked). */
export const leaseSchema = v.object({
  heartbeatMs: v.number(),
  expiryMs: v.number(),
  /** ISO time at which the run is aborted unless renewed. */
  expiresAt: v.string(),
});
/** The lease in effect. */
export type Lease = v.InferOutput<typeof leaseSchema>;

/** Every error body: a stable FL_ code, a message that says what to do, details for programs. */
export const errorBodySchema = v.object({
  code: v.pipe(v.string(), v.startsWith('FL_')),
  message: v.string(),
  details: v.optional(v.record(v.string(), v.unknown())),
});
/** An error body. */
export type ErrorBody = v.InferOutput<typeof errorBodySchema>;

const capabilitySchema = v.looseObject({
  available: v.boolean(),
  reason: v.optional(v.string()),
  fix: v.optional(v.string()),
});

/** `GET /healthz`. */
export const healthSchema = v.object({ ok: v.literal(true), version: v.string() });

/** `GET /v1/info`: the agent as an infrastructure (`InfraInfo`) plus its version and packs. */
export const infoSchema = v.object({
  id: v.string(),
  host: v.string(),
  kernel: v.string(),
  version: v.string(),
  packs: v.array(v.string()),
  capabilities: v.record(v.string(), capabilitySchema),
  /** The longest lease expiry this agent grants, and its default heartbeat, in ms. */
  lease: v.object({ heartbeatMs: v.number(), maxExpiryMs: v.number() }),
  maxActiveRuns: v.number(),
});

const outcomeSchema = v.object({ code: v.string(), message: v.string() });

/** A `RunResult` as it travels (the fields a program reads; the agent sends the whole result). */
export const runResultSchema = v.looseObject({
  runId: v.string(),
  experiment: v.string(),
  verdict: v.picklist(['Pass', 'Fail', 'Error', 'Aborted']),
  score: v.nullable(v.number()),
  scoreReason: v.optional(v.string()),
  startedAt: v.string(),
  finishedAt: v.string(),
  durationMs: v.number(),
  faults: v.array(v.looseObject({ stepId: v.string(), kind: v.string(), status: v.string() })),
  probes: v.array(v.looseObject({ stepId: v.string(), probe: v.string(), passed: v.boolean() })),
  reverts: v.array(v.looseObject({ entryId: v.string(), ok: v.boolean() })),
  error: v.optional(outcomeSchema),
  abortReason: v.optional(v.string()),
});

/**
 * running: on the agent now. finished: ended (the result is there). interrupted: the agent that ran
 * it died mid-run; its faults were reverted by recovery, and there is no result.
 */
export const RUN_STATES = ['running', 'finished', 'interrupted'] as const;
/** One of {@link RUN_STATES}. */
export type RunState = (typeof RUN_STATES)[number];

/** `GET /v1/info` as a type: the infrastructure facts plus the agent's own. */
export type AgentInfo = InfraInfo & Omit<v.InferOutput<typeof infoSchema>, keyof InfraInfo>;

/** `GET /v1/runs/{id}`, and each item of `GET /v1/runs`. */
export const runStatusSchema = v.object({
  id: v.string(),
  state: v.picklist(RUN_STATES),
  experiment: v.optional(v.string()),
  startedAt: v.optional(v.string()),
  /** The last event's seq: `GET /v1/runs/{id}/events` with `Last-Event-ID` resumes after any seq up to it. */
  lastSeq: v.number(),
  /** While running. */
  lease: v.optional(leaseSchema),
  /** Once finished. */
  result: v.optional(runResultSchema),
});
/** A run's status on the wire (the result is a whole `RunResult`). */
export type RunStatus = Omit<v.InferOutput<typeof runStatusSchema>, 'result'> & { result?: RunResult };

/** `GET /v1/runs`: newest first. */
export const runListSchema = v.object({ runs: v.array(runStatusSchema) });

/** `POST /v1/runs` → 201 (200 when a run with that id exists already: the POST was a retry). */
export const runCreatedSchema = v.object({
  id: v.string(),
  state: v.picklist(RUN_STATES),
  lease: v.optional(leaseSchema),
  /** Where the run's events stream (SSE). */
  events: v.string(),
});

/** `POST /v1/runs/{id}/abort` takes an optional reason. */
export const abortRequestSchema = v.object({ reason: v.optional(v.pipe(v.string(), v.maxLength(500))) });

/** One event as sent in an SSE `data:` line: a `FaultlineEvent`. */
export const eventSchema = v.looseObject({
  seq: v.pipe(v.number(), v.integer(), v.minValue(1)),
  ts: v.string(),
  runId: v.string(),
  type: v.string(),
});

/**
 * How often the agent writes a keep-alive comment on an event stream, from the run's heartbeat. The
 * client takes the same figure to tell a quiet stream from a dead one (three missed in a row).
 */
export function keepAliveMs(heartbeatMs: number): number {
  return Math.max(50, Math.min(1000, heartbeatMs / 2));
}
