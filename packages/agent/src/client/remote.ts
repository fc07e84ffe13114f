import { randomUUID } from 'node:crypto';
import {
  type DurationInput,
  type ExperimentSpec,
  FaultlineError,
  type Infrastructure,
  parseDuration,
  type ResolvedSpec,
} from '@faultline/core';
import { experimentSpecSchema, sleep } from '@faultline/core/internal';
import * as v from 'valibot';
import { DEFAULT_LEASE } from '../server/lease.js';
import { type AgentInfo, infoSchema, type RunStatus, runStatusSchema } from '../wire.js';
import { AgentConnection, agentError } from './http.js';
import { startRemoteRun } from './remote-run.js';

/** Options of {@link remoteInfrastructure}. */
export interface RemoteOptions {
  /** The agent, e.g. `http://10.0.0.7:7411` (https:// when it serves TLS). */
  url: string | URL;
  /** The agent's bearer token. */
  token: string;
  /** CA certificate(s) (PEM) that signed the agent's TLS certificate, when not a public CA. */
  ca?: string | Buffer;
  /** How often the lease is renewed (default 2s; the agent may grant less). */
  heartbeat?: DurationInput;
  /** How long the agent waits without a renewal before it aborts and reverts (default 10s, capped by the agent). */
  expiry?: DurationInput;
  /** This infrastructure's id in events and fan-out results (default `agent:<host:port>`). */
  id?: string;
}

/** An agent as an `Infrastructure`, plus what a control plane asks it besides running. */
export interface RemoteInfrastructure extends Infrastructure {
  readonly url: string;
  /** `GET /v1/info`: host, kernel, capabilities per fault kind, and the agent's version and packs. */
  describe(signal?: AbortSignal): Promise<AgentInfo>;
  /**
   * A run's status on the agent — after a lost link, the agent's own final result. With `waitMs`,
   * polls until the run is no longer running (or the time is up).
   */
  fetchRun(runId: string, opts?: { waitMs?: number }): Promise<RunStatus>;
  /** Frees the keep-alive sockets (runs still going keep theirs until they end). */
  close(): void;
}

/** A remote infrastructure: `runtime.run(spec, { infrastructure: remoteInfrastructure({ url, token }) })`. */
export function remoteInfrastructure(o: RemoteOptions): RemoteInfrastructure {
  const url = new URL(o.url);
  const conn = new AgentConnection({ url, token: o.token, ca: o.ca });
  const heartbeatMs = parseDuration(o.heartbeat ?? DEFAULT_LEASE.heartbeat);
  const expiryMs = parseDuration(o.expiry ?? DEFAULT_LEASE.expiry);
  const id = o.id ?? `agent:${url.host}`;
  const get = async (path: string, timeoutMs = 10_000) => {
    const r = await conn.call('GET', path, { timeoutMs });
    if (r.status !== 200) throw agentError(r.status, r.body);
    return r.body;
  };

  return {
    id,
    url: url.origin,
    async describe() {
      const info = v.parse(infoSchema, await get('/v1/info', 30_000)) as AgentInfo;
      return { ...info, id };
    },
    execute(spec, opts) {
      const parsed = v.safeParse(experimentSpecSchema, spec);
      if (!parsed.success)
        throw new FaultlineError(
          'FL_SPEC',
          `the experiment spec is invalid: ${parsed.issues.map((i) => `${v.getDotPath(i) ?? '(root)'}: ${i.message}`).join('; ')}`,
        );
      return startRemoteRun(conn, parsed.output as ResolvedSpec, spec as ExperimentSpec, {
        runId: opts.runId ?? randomUUID(),
        heartbeatMs,
        expiryMs,
        signal: opts.signal,
      });
    },
    async fetchRun(runId, fo = {}) {
      const end = Date.now() + (fo.waitMs ?? 0);
      for (;;) {
        const body = await get(`/v1/runs/${encodeURIComponent(runId)}`);
        // checked against the schema; typed as what the agent sends (a whole RunResult)
        const status = v.parse(runStatusSchema, body) as unknown as RunStatus;
        if (status.state !== 'running' || Date.now() >= end) return status;
        await sleep(Math.min(200, end - Date.now()));
      }
    },
    close: () => conn.close(),
  };
}
