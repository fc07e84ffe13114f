import { hostname } from 'node:os';
import type { DurationInput, ExperimentSpec, InfraInfo, Runtime } from '@faultline/core';
import { Hono } from 'hono';
import * as v from 'valibot';
import { errorResponse, Problem } from '../problem.js';
import { VERSION } from '../version.js';
import { abortRequestSchema, keepAliveMs, runEnvelopeSchema } from '../wire.js';
import { bearerAuth } from './auth.js';
import { type BodyLimits, readJson } from './body.js';
import { leasePolicy } from './lease.js';
import { openApiDocument } from './openapi.js';
import { RunTable } from './run-table.js';
import { resumeAfter, streamEvents } from './sse.js';

/** Options of {@link createAgent}. */
export interface AgentOptions {
  /** The runtime that runs the experiments: its packs, journal and state dir are the agent's. */
  runtime: Runtime;
  /** The bearer token every route but /healthz and /openapi.json requires (16 characters or more). */
  token: string;
  /** The lease: default heartbeat 2s; `expiry` (default 10s) is also the longest a client may ask. */
  lease?: { heartbeat?: DurationInput; expiry?: DurationInput };
  /** Larger request bodies get 413 (default 1 MiB). */
  maxBodyBytes?: number;
  /** A request body must arrive within this (default 10 s), else 408. */
  bodyTimeoutMs?: number;
  /** Runs at once; one more gets 409 FL_BUSY (default 4). */
  maxActiveRuns?: number;
  /** Finished runs' results kept in memory (default 200; older ones are read from the event log). */
  retainFinished?: number;
  /** The id `GET /v1/info` reports (default: the host name). */
  id?: string;
}

/** The agent: a Hono app (serve it, or test it with `app.request()`) that also shuts down cleanly. */
export type AgentApp = Hono & {
  /** Aborts every active run, waits until each is reverted. The runtime stays open (it is yours). */
  close(reason?: string): Promise<void>;
  /** Runs active now. */
  readonly activeRuns: number;
};

/** How long `GET /v1/info` reuses the capability checks (each fault's check() may run a tool). */
const INFO_TTL_MS = 10_000;

/** Creates the agent's HTTP API over a runtime (routes: see `OPERATIONS` and GET /openapi.json). */
export function createAgent(o: AgentOptions): AgentApp {
  if (typeof o.token !== 'string' || o.token.length < 16)
    throw new TypeError('createAgent: the token must be a string of 16 characters or more');
  const policy = leasePolicy(o.lease);
  const limits: BodyLimits = { maxBytes: o.maxBodyBytes ?? 1 << 20, timeoutMs: o.bodyTimeoutMs ?? 10_000 };
  const maxActiveRuns = o.maxActiveRuns ?? 4;
  const runs = new RunTable(o.runtime, { maxActiveRuns, lease: policy, retain: o.retainFinished ?? 200 });
  const id = o.id ?? hostname();
  const document = openApiDocument(VERSION);
  let info: { at: number; value: Promise<InfraInfo> } | undefined;

  const app = new Hono();
  app.onError((e, c) => {
    const { status, body } = errorResponse(e);
    return c.json(body, status);
  });
  app.notFound((c) => {
    const { status, body } = errorResponse(
      new Problem(
        404,
        'FL_REQUEST',
        `no route ${c.req.method} ${new URL(c.req.url).pathname.slice(0, 200)}; GET /openapi.json lists them`,
      ),
    );
    return c.json(body, status);
  });

  app.get('/healthz', (c) => c.json({ ok: true as const, version: VERSION }));
  app.get('/openapi.json', (c) => c.json(document));
  app.use('/v1/*', bearerAuth(o.token));

  app.get('/v1/info', async (c) => {
    if (!info || Date.now() - info.at > INFO_TTL_MS)
      info = { at: Date.now(), value: o.runtime.local().describe() };
    const described = await info.value;
    return c.json({
      ...described,
      id,
      version: VERSION,
      packs: o.runtime.registry.packs().map((p) => p.name),
      lease: { heartbeatMs: policy.heartbeatMs, maxExpiryMs: policy.maxExpiryMs },
      maxActiveRuns,
    });
  });

  app.post('/v1/runs', async (c) => {
    const body = await readJson(c.req.raw, limits);
    const envelope = v.safeParse(runEnvelopeSchema, body);
    if (!envelope.success) throw invalid('id or lease', envelope.issues);
    const { id: runId, lease, ...spec } = body as Record<string, unknown>;
    const { created, status } = await runs.start(spec as unknown as ExperimentSpec, envelope.output);
    return c.json(
      {
        id: status.id,
        state: status.state,
        ...(status.lease ? { lease: status.lease } : {}),
        events: `/v1/runs/${status.id}/events`,
      },
      created ? 201 : 200,
    );
  });

  app.get('/v1/runs', async (c) => {
    const raw = c.req.query('limit') ?? '50';
    if (!/^\d{1,3}$/.test(raw) || Number(raw) < 1 || Number(raw) > 200)
      throw new Problem(400, 'FL_REQUEST', 'limit is a whole number from 1 to 200');
    return c.json({ runs: await runs.list(Number(raw)) });
  });

  app.get('/v1/runs/:id', async (c) => c.json(await runs.status(c.req.param('id'))));

  app.get('/v1/runs/:id/events', async (c) => {
    const after = resumeAfter(c);
    const source = await runs.events(c.req.param('id'), after);
    return streamEvents(c, source, after, keepAliveMs(source.heartbeatMs ?? policy.heartbeatMs));
  });

  app.post('/v1/runs/:id/abort', async (c) => {
    const body = await readJson(c.req.raw, limits, {});
    const parsed = v.safeParse(abortRequestSchema, body);
    if (!parsed.success) throw invalid('the abort request', parsed.issues);
    const status = await runs.abort(
      c.req.param('id'),
      parsed.output.reason ?? 'aborted by the control plane',
    );
    return c.json(status, status.state === 'running' ? 202 : 200);
  });

  app.post('/v1/runs/:id/lease', async (c) => c.json(await runs.renew(c.req.param('id'))));

  return Object.defineProperties(app as AgentApp, {
    close: { value: (reason = 'the agent is shutting down') => runs.closeAll(reason) },
    activeRuns: { get: () => runs.activeCount },
  });
}

function invalid(what: string, issues: v.BaseIssue<unknown>[]): Problem {
  const list = issues.map((i) => `${v.getDotPath(i) ?? '(root)'}: ${i.message}`);
  return new Problem(422, 'FL_SPEC', `${what} is invalid: ${list.join('; ')}`, { issues: list });
}
