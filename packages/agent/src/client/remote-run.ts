import type { IncomingMessage } from 'node:http';
import type {
  ErrorCode,
  ExperimentSpec,
  FaultlineEvent,
  ResolvedSpec,
  RunHandle,
  RunResult,
  Verdict,
} from '@faultline/core';
import { EventStream, sleep } from '@faultline/core/internal';
import * as v from 'valibot';
import { eventSchema, keepAliveMs, leaseSchema, runStatusSchema } from '../wire.js';
import { clientResult } from './client-result.js';
import { type AgentConnection, agentError } from './http.js';
import { type Accepted, readEvents } from './sse-reader.js';

/** One remote run's settings. */
export interface RemoteRunOptions {
  runId: string;
  /** The lease asked for; the agent may grant less. */
  heartbeatMs: number;
  expiryMs: number;
  signal?: AbortSignal | undefined;
}

/**
 * Starts a run on an agent and returns a handle like a local one: the agent's events (relayed with
 * their own seq and ts, each once, across reconnects), its result, abort. While the handle lives it
 * renews the lease; if the agent cannot be reached for longer than the lease, the agent has aborted
 * the run by then, and the handle ends Aborted with FL_LINK_LOST.
 */
export function startRemoteRun(
  conn: AgentConnection,
  spec: ResolvedSpec,
  raw: ExperimentSpec,
  o: RemoteRunOptions,
): RunHandle {
  const run = new RemoteRun(conn, spec, raw, o);
  if (o.signal) {
    const s = o.signal;
    const reason = () =>
      s.reason instanceof Error ? s.reason.message : String(s.reason ?? 'AbortSignal fired');
    if (s.aborted) run.abort(reason());
    else s.addEventListener('abort', () => run.abort(reason()), { once: true });
  }
  return {
    id: o.runId,
    events: run.events,
    result: run.result,
    abort: (r) => run.abort(r ?? 'aborted by run.abort()'),
  };
}

class RemoteRun {
  readonly events: EventStream;
  readonly result: Promise<RunResult>;
  #final: RunResult | undefined;
  #lease: { heartbeatMs: number; expiryMs: number };
  /** When the agent last answered anything (a response, an event, a keep-alive). */
  #lastContact = Date.now();
  #lastSeq = 0;
  #created = false;
  #abortReason: string | undefined;
  #stream: IncomingMessage | undefined;
  readonly #injected = new Set<string>();
  /** Fires when the handle has its result: the heartbeats and retry waits stop at once. */
  readonly #done = new AbortController();
  readonly #startedAt = new Date();

  constructor(
    readonly conn: AgentConnection,
    readonly spec: ResolvedSpec,
    readonly raw: ExperimentSpec,
    readonly o: RemoteRunOptions,
  ) {
    this.events = new EventStream(o.runId);
    this.#lease = { heartbeatMs: o.heartbeatMs, expiryMs: o.expiryMs };
    this.result = Promise.resolve().then(() => this.#main());
  }

  abort(reason: string): void {
    if (this.#abortReason !== undefined || this.#final) return;
    this.#abortReason = reason;
    if (this.#created) void this.#sendAbort();
  }

  async #main(): Promise<RunResult> {
    try {
      if (await this.#create()) {
        const beating = this.#heartbeats();
        await this.#follow();
        await beating;
      }
    } catch (e) {
      this.#end('Error', 'FL_INTERNAL', `the client failed: ${(e as Error).message}`);
    } finally {
      this.#done.abort();
      this.#stream?.destroy();
      this.events.close();
    }
    return this.#final!;
  }

  #contact(): void {
    this.#lastContact = Date.now();
  }

  /** The agent has been silent longer than the lease: it has aborted the run by now. */
  #linkLost(): boolean {
    return Date.now() - this.#lastContact > this.#lease.expiryMs;
  }

  /** POSTs the run, retrying a network error (the same id makes a retry safe) until the lease would be gone. */
  async #create(): Promise<boolean> {
    if (this.#abortReason !== undefined) {
      this.#end('Aborted', undefined, this.#abortReason);
      return false;
    }
    const body = {
      ...this.raw,
      id: this.o.runId,
      lease: { heartbeat: this.o.heartbeatMs, expiry: this.o.expiryMs },
    };
    for (let backoff = 100; ; backoff = Math.min(backoff * 2, 1000)) {
      try {
        const r = await this.conn.call('POST', '/v1/runs', { body, timeoutMs: this.#requestTimeout() });
        this.#contact();
        if (r.status === 200 || r.status === 201) {
          const lease = v.safeParse(v.object({ lease: leaseSchema }), r.body);
          if (lease.success) this.#lease = lease.output.lease;
          this.#created = true;
          if (this.#abortReason !== undefined) void this.#sendAbort();
          return true;
        }
        const err = agentError(r.status, r.body);
        this.#end('Error', err.code, err.message);
        return false;
      } catch (e) {
        if (this.#linkLost()) {
          this.#end(
            'Error',
            'FL_LINK_LOST',
            `could not reach the agent at ${this.conn.endpoint.url.origin} to start the run: ${(e as Error).message}`,
          );
          return false;
        }
        await sleep(backoff);
      }
    }
  }

  #requestTimeout(): number {
    return Math.max(1000, this.#lease.heartbeatMs);
  }

  /** Renews the lease every heartbeat until the run ends (a failed renewal is not fatal: the next one may pass). */
  async #heartbeats(): Promise<void> {
    const start = Date.now();
    for (let k = 1; !this.#final; k++) {
      if (!(await sleep(Math.max(0, start + k * this.#lease.heartbeatMs - Date.now()), this.#done.signal)))
        return;
      if (this.#final) return;
      try {
        const r = await this.conn.call('POST', `/v1/runs/${this.o.runId}/lease`, {
          timeoutMs: this.#requestTimeout(),
        });
        this.#contact();
        if (r.status !== 200) return;
      } catch {
        // the event stream's loop decides when the link is lost
      }
    }
  }

  /** Reads the event stream until run.finished, reconnecting from the last seq after any break. */
  async #follow(): Promise<void> {
    for (let backoff = 50; !this.#final; backoff = Math.min(backoff * 2, 500)) {
      if (this.#linkLost()) return this.#lost();
      let res: IncomingMessage;
      try {
        res = await this.conn.stream(
          `/v1/runs/${this.o.runId}/events`,
          { 'last-event-id': String(this.#lastSeq) },
          this.#requestTimeout(),
        );
      } catch {
        await sleep(backoff);
        continue;
      }
      this.#contact();
      if (res.statusCode !== 200) {
        res.resume();
        if (res.statusCode === 404)
          return this.#lostRun('the agent no longer knows the run (its log is gone)');
        if (res.statusCode === 401) return this.#end('Error', 'FL_AUTH', 'the agent refused the token');
        await sleep(backoff);
        continue;
      }
      backoff = 25;
      this.#stream = res;
      const how = await readEvents(res, {
        staleMs: 3 * keepAliveMs(this.#lease.heartbeatMs),
        accept: (data) => this.#accept(data),
        onBytes: () => this.#contact(),
      });
      if (how === 'ended' && !this.#final) await this.#checkInterrupted();
    }
  }

  /** One SSE data line: relayed if it is the next seq, skipped if already seen. */
  #accept(data: string): Accepted {
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      return 'gap';
    }
    if (!v.is(eventSchema, parsed)) return 'gap';
    const e = parsed as unknown as FaultlineEvent;
    if (e.seq <= this.#lastSeq) return 'seen';
    if (e.seq !== this.#lastSeq + 1) return 'gap';
    this.#lastSeq = e.seq;
    if (e.type === 'fault.injected') this.#injected.add(e.stepId);
    this.events.relay(e);
    if (e.type === 'run.finished') {
      this.#final = e.result;
      this.#done.abort();
      return 'finished';
    }
    return 'next';
  }

  /** The stream ended without run.finished: the agent stopped (or restarted) under the run. */
  async #checkInterrupted(): Promise<void> {
    try {
      const r = await this.conn.call('GET', `/v1/runs/${this.o.runId}`, {
        timeoutMs: this.#requestTimeout(),
      });
      this.#contact();
      const s = v.safeParse(runStatusSchema, r.body);
      if (r.status === 404) this.#lostRun('the agent no longer knows the run (its log is gone)');
      else if (s.success && s.output.state === 'interrupted')
        this.#lostRun('the agent stopped in the middle of the run; its recovery reverted the faults');
    } catch {
      // the loop reconnects, and gives up once the lease is gone
    }
  }

  async #sendAbort(): Promise<void> {
    while (!this.#final) {
      try {
        const r = await this.conn.call('POST', `/v1/runs/${this.o.runId}/abort`, {
          body: { reason: this.#abortReason },
          timeoutMs: this.#requestTimeout(),
        });
        this.#contact();
        if (r.status < 500) return;
      } catch {
        if (this.#linkLost()) return;
      }
      await sleep(200);
    }
  }

  #lost(): void {
    this.#end(
      'Aborted',
      'FL_LINK_LOST',
      `no answer from the agent at ${this.conn.endpoint.url.origin} for ${this.#lease.expiryMs} ms (the lease): it has aborted the run and reverts its faults; its own result can be fetched by run id once the link is back`,
    );
  }

  #lostRun(why: string): void {
    this.#end('Aborted', 'FL_LINK_LOST', why);
  }

  /**
   * Ends the handle with a result made here (the agent's result never arrived). The handle's last
   * events are then this client's own run.aborting / run.finished, numbered after the last relayed seq.
   */
  #end(verdict: Verdict, code: ErrorCode | 'FL_INTERNAL' | undefined, message: string): void {
    if (this.#final) return;
    const result = clientResult({
      spec: this.spec,
      runId: this.o.runId,
      startedAt: this.#startedAt,
      injected: this.#injected,
      verdict,
      code,
      message,
    });
    this.#final = result;
    this.#done.abort();
    if (verdict === 'Aborted')
      this.events.emit({ type: 'run.aborting', reason: result.abortReason!, ...(code ? { code } : {}) });
    else this.events.emit({ type: 'log', level: 'error', message: result.error?.message ?? message });
    this.events.emit({ type: 'run.finished', verdict, score: result.score, result });
  }
}
