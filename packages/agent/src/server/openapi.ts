// GET /openapi.json: generated from the same valibot schemas that validate the requests (wire.ts and
// core's experimentSpecSchema), so the document cannot describe a body the agent would refuse.
import { experimentSpecSchema } from '@faultline/core/internal';
import { toJsonSchema } from '@valibot/to-json-schema';
import type { GenericSchema } from 'valibot';
import {
  abortRequestSchema,
  errorBodySchema,
  eventSchema,
  healthSchema,
  infoSchema,
  leaseSchema,
  runCreatedSchema,
  runEnvelopeSchema,
  runListSchema,
  runResultSchema,
  runStatusSchema,
} from '../wire.js';

/** The schemas the document names, by component name. */
const COMPONENTS: Record<string, GenericSchema> = {
  ExperimentSpec: experimentSpecSchema as GenericSchema,
  RunEnvelope: runEnvelopeSchema,
  Lease: leaseSchema,
  Error: errorBodySchema,
  Health: healthSchema,
  Info: infoSchema,
  RunResult: runResultSchema,
  RunStatus: runStatusSchema,
  RunList: runListSchema,
  RunCreated: runCreatedSchema,
  AbortRequest: abortRequestSchema,
  Event: eventSchema,
};

/** One operation: the statuses it answers and the component each body follows. */
export interface Operation {
  method: 'get' | 'post';
  /** OpenAPI form: `/v1/runs/{id}`. */
  path: string;
  summary: string;
  auth: boolean;
  request?: string;
  /** status → component name (`sse` for the event stream, `any` for the document itself). */
  responses: Record<number, string>;
}

const AUTH_ERRORS = { 401: 'Error' };
const RUN_ERRORS = { ...AUTH_ERRORS, 404: 'Error' };
const BODY_ERRORS = { 400: 'Error', 408: 'Error', 413: 'Error' };

/** Every route of the agent: the app and the document are both checked against this list. */
export const OPERATIONS: Operation[] = [
  {
    method: 'get',
    path: '/healthz',
    summary: 'Liveness; no token needed',
    auth: false,
    responses: { 200: 'Health' },
  },
  { method: 'get', path: '/openapi.json', summary: 'This document', auth: false, responses: { 200: 'any' } },
  {
    method: 'get',
    path: '/v1/info',
    summary: 'The agent as an infrastructure: host, kernel, version, packs, capability per fault kind',
    auth: true,
    responses: { 200: 'Info', ...AUTH_ERRORS },
  },
  {
    method: 'post',
    path: '/v1/runs',
    summary:
      'Start an experiment: an ExperimentSpec plus optional `id` and `lease` ({ heartbeat, expiry }). 201 when started, 200 when a run with that id exists (a retried POST)',
    auth: true,
    request: 'ExperimentSpec+RunEnvelope',
    responses: {
      201: 'RunCreated',
      200: 'RunCreated',
      ...BODY_ERRORS,
      ...AUTH_ERRORS,
      409: 'Error',
      422: 'Error',
    },
  },
  {
    method: 'get',
    path: '/v1/runs',
    summary:
      'Runs, newest first (`?limit=`, default 50): running ones, then those in the event log, across restarts',
    auth: true,
    responses: { 200: 'RunList', 400: 'Error', ...AUTH_ERRORS },
  },
  {
    method: 'get',
    path: '/v1/runs/{id}',
    summary: "A run's state, lease while running, and its RunResult once finished",
    auth: true,
    responses: { 200: 'RunStatus', ...RUN_ERRORS },
  },
  {
    method: 'get',
    path: '/v1/runs/{id}/events',
    summary:
      'The events as SSE: `id:` is the seq, `event:` the type, `data:` the event. Resumes after `Last-Event-ID` (or `?after=`); a `: ka` comment keeps a quiet stream alive',
    auth: true,
    responses: { 200: 'sse', 400: 'Error', ...RUN_ERRORS },
  },
  {
    method: 'post',
    path: '/v1/runs/{id}/abort',
    summary:
      'Abort a run: probes stop, faults revert, verdict Aborted. 202 while it reverts, 200 if it had ended',
    auth: true,
    request: 'AbortRequest',
    responses: { 202: 'RunStatus', 200: 'RunStatus', ...BODY_ERRORS, ...RUN_ERRORS, 422: 'Error' },
  },
  {
    method: 'post',
    path: '/v1/runs/{id}/lease',
    summary:
      'Renew the lease (the heartbeat). Without one for `expiry`, the agent aborts the run with FL_LINK_LOST',
    auth: true,
    responses: { 200: 'RunStatus', ...RUN_ERRORS },
  },
];

/** Moves each schema's `$defs` into the components under its own prefix and points the refs there. */
function componentSchemas(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(COMPONENTS)) {
    const {
      $schema: _,
      $defs,
      ...json
    } = toJsonSchema(schema, {
      target: 'draft-2020-12',
      typeMode: 'input',
      // checks (a duration parses, step ids are unique) have no JSON Schema form: the agent still runs them
      errorMode: 'ignore',
    }) as Record<string, unknown> & { $defs?: Record<string, unknown> };
    const rename = (ref: string) => ref.replace(/^#\/\$defs\//, `#/components/schemas/${name}Def`);
    out[name] = rewriteRefs(json, rename);
    for (const [k, d] of Object.entries($defs ?? {})) out[`${name}Def${k}`] = rewriteRefs(d, rename);
  }
  return out;
}

function rewriteRefs(node: unknown, rename: (ref: string) => string): unknown {
  if (Array.isArray(node)) return node.map((n) => rewriteRefs(n, rename));
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node).map(([k, v]) => [
      k,
      k === '$ref' && typeof v === 'string' ? rename(v) : rewriteRefs(v, rename),
    ]),
  );
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

function content(component: string): Record<string, unknown> {
  if (component === 'sse')
    return {
      'text/event-stream': {
        schema: { type: 'string', description: 'SSE; each data line is one Event (see the Event schema)' },
        // OpenAPI 3.1 has no item schema for streams: the extension names the schema of each data line
        'x-data-schema': ref('Event'),
      },
    };
  if (component === 'any') return { 'application/json': { schema: { type: 'object' } } };
  if (component.includes('+'))
    return { 'application/json': { schema: { allOf: component.split('+').map(ref) } } };
  return { 'application/json': { schema: ref(component) } };
}

/** The OpenAPI 3.1 document of an agent of this version. */
export function openApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) {
    const params = op.path.includes('{id}')
      ? [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }]
      : [];
    paths[op.path] ??= {};
    paths[op.path]![op.method] = {
      summary: op.summary,
      ...(op.auth ? {} : { security: [] }),
      ...(params.length ? { parameters: params } : {}),
      ...(op.request
        ? { requestBody: { required: op.request !== 'AbortRequest', content: content(op.request) } }
        : {}),
      responses: Object.fromEntries(
        Object.entries(op.responses).map(([status, c]) => [
          status,
          { description: describe(Number(status)), content: content(c) },
        ]),
      ),
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'faultline agent',
      version,
      description:
        'The chaos infrastructure of faultline as a daemon. Errors are { code, message, details } with FL_ codes. A run holds a lease: renew it with POST /v1/runs/{id}/lease, or the agent aborts the run with FL_LINK_LOST and reverts its faults.',
    },
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: componentSchemas(),
    },
  };
}

function describe(status: number): string {
  return (
    {
      200: 'OK',
      201: 'Created',
      202: 'Accepted: the run is aborting',
      400: 'FL_REQUEST: not JSON, too deep, or a bad parameter',
      401: "FL_AUTH: no token, or not this agent's",
      404: 'FL_NOT_FOUND (no such run) or FL_REQUEST (no such route)',
      408: 'FL_REQUEST: the body did not arrive in time',
      409: 'FL_BUSY: maxActiveRuns are running',
      413: 'FL_REQUEST: the body is over the limit',
      422: 'FL_SPEC, FL_TUNABLES, FL_DURATION or FL_UNKNOWN_KIND: the spec is invalid; nothing ran',
    }[status] ?? String(status)
  );
}
