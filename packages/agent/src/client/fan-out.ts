import type { ExperimentSpec, FaultlineEvent, Infrastructure, RunResult, Runtime } from '@faultline/core';
import pLimit from 'p-limit';

/** Options of {@link fanOut}. */
export interface FanOutOptions {
  /** How many runs go at once (p-limit); the rest wait their turn. Default: all of them. */
  concurrency?: number;
  /** Aborts every run (started ones revert; waiting ones never start). */
  signal?: AbortSignal;
  /** Run each through this runtime, so its event log and store receive every agent's events. */
  runtime?: Runtime;
}

/** One event of one infrastructure. */
export interface TaggedEvent {
  infrastructure: string;
  event: FaultlineEvent;
}

/** How one infrastructure's run ended. */
export interface FanOutResult {
  infrastructure: string;
  runId: string;
  result: RunResult;
}

/** One experiment running on many infrastructures. */
export interface FanOut {
  /** Every run's events merged in arrival order, each tagged with its infrastructure; ends when all runs end. */
  readonly events: AsyncIterable<TaggedEvent>;
  /** Calls `fn` with each tagged event as it arrives; returns a function that unsubscribes. */
  on(fn: (e: TaggedEvent) => void): () => void;
  /** One result per infrastructure, in the order they were given (never rejects). */
  readonly results: Promise<FanOutResult[]>;
  /** Aborts every run. */
  abort(reason?: string): void;
}

/**
 * Runs one experiment on N infrastructures (agents, or `runtime.local()`), at most `concurrency` at
 * once: one merged, infrastructure-tagged event stream and one result per infrastructure.
 */
export function fanOut(
  spec: ExperimentSpec,
  infrastructures: Infrastructure[],
  o: FanOutOptions = {},
): FanOut {
  const ids = new Set(infrastructures.map((i) => i.id));
  if (ids.size !== infrastructures.length)
    throw new TypeError('fanOut: each infrastructure needs its own id (they tag the events)');
  const merged = new Merged();
  const ac = new AbortController();
  const stop = () => ac.abort(o.signal?.reason ?? 'fan-out aborted');
  if (o.signal?.aborted) stop();
  else o.signal?.addEventListener('abort', stop, { once: true });
  const limit = pLimit(o.concurrency ?? Math.max(1, infrastructures.length));

  const one = async (infra: Infrastructure): Promise<FanOutResult> => {
    const opts = { signal: ac.signal };
    const handle = o.runtime
      ? o.runtime.run(spec, { ...opts, infrastructure: infra })
      : infra.execute(spec, opts);
    for await (const event of handle.events) merged.push({ infrastructure: infra.id, event });
    return { infrastructure: infra.id, runId: handle.id, result: await handle.result };
  };
  const results = Promise.all(infrastructures.map((infra) => limit(() => one(infra)))).finally(() =>
    merged.close(),
  );
  return {
    events: merged,
    on: (fn) => merged.on(fn),
    results,
    abort: (reason = 'fan-out aborted') => ac.abort(reason),
  };
}

/** The merged stream: kept whole, so an iterator that starts late still gets every event. */
class Merged implements AsyncIterable<TaggedEvent> {
  readonly #items: TaggedEvent[] = [];
  readonly #listeners = new Set<(e: TaggedEvent) => void>();
  #wake: Array<() => void> = [];
  #closed = false;

  push(e: TaggedEvent): void {
    this.#items.push(e);
    for (const fn of this.#listeners) fn(e);
    this.#flush();
  }

  close(): void {
    this.#closed = true;
    this.#flush();
  }

  on(fn: (e: TaggedEvent) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  #flush(): void {
    const w = this.#wake;
    this.#wake = [];
    for (const f of w) f();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<TaggedEvent> {
    let next = 0;
    for (;;) {
      while (next < this.#items.length) yield this.#items[next++]!;
      if (this.#closed) return;
      await new Promise<void>((r) => this.#wake.push(r));
    }
  }
}
