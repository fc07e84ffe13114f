import { EventEmitter } from 'eventemitter3';
import type { EventDraft, EventType, FaultlineEvent } from './events.js';

type Listener<E> = (event: E) => void;

/**
 * The events of one run: stamped with a monotonic `seq`, kept for late subscribers, and offered as
 * an eventemitter3 emitter (`on(type | '*')`), an async iterator (`for await`, optionally from a
 * `seq`) and NDJSON lines — the same objects everywhere.
 */
export class EventStream implements AsyncIterable<FaultlineEvent> {
  readonly runId: string;
  readonly #emitter = new EventEmitter();
  readonly #events: FaultlineEvent[] = [];
  readonly #sinks: Array<(e: FaultlineEvent) => void> = [];
  #waiters: Array<() => void> = [];
  #closed = false;
  #seq = 0;

  constructor(runId: string) {
    this.runId = runId;
  }

  /** Stamps and publishes an event; returns it. Ignored after `close()`. */
  emit(draft: EventDraft): FaultlineEvent {
    const event = {
      ...draft,
      seq: ++this.#seq,
      ts: new Date().toISOString(),
      runId: this.runId,
    } as FaultlineEvent;
    this.#publish(event);
    return event;
  }

  /**
   * Publishes an event stamped elsewhere, keeping its seq and ts: a remote run's handle relays its
   * agent's events, so they read exactly as the agent's own stream. It must be the next seq (the
   * relaying side drops repeats after a reconnect, and the agent's stream has no holes).
   */
  relay(event: FaultlineEvent): void {
    if (event.seq !== this.#seq + 1)
      throw new Error(`relay: the next event of run ${this.runId} is seq ${this.#seq + 1}, not ${event.seq}`);
    this.#seq = event.seq;
    this.#publish(event);
  }

  #publish(event: FaultlineEvent): void {
    if (this.#closed) return;
    this.#events.push(event);
    for (const sink of this.#sinks) sink(event);
    this.#emitter.emit(event.type, event);
    this.#emitter.emit('*', event);
    if (this.#waiters.length > 0) {
      const w = this.#waiters;
      this.#waiters = [];
      for (const wake of w) wake();
    }
  }

  /** Adds a sink that sees every event from now on, synchronously (logs, stores). */
  pipe(sink: (e: FaultlineEvent) => void): void {
    this.#sinks.push(sink);
  }

  /** Listens to one type, or to every event with `'*'`. Returns a function that unsubscribes. */
  on<K extends EventType>(type: K, fn: Listener<Extract<FaultlineEvent, { type: K }>>): () => void;
  on(type: '*', fn: Listener<FaultlineEvent>): () => void;
  on(type: string, fn: Listener<any>): () => void {
    this.#emitter.on(type, fn);
    return () => this.#emitter.off(type, fn);
  }

  /** Every event so far (a copy). */
  snapshot(): FaultlineEvent[] {
    return [...this.#events];
  }

  /** The last seq emitted. */
  get seq(): number {
    return this.#seq;
  }
  get closed(): boolean {
    return this.#closed;
  }

  /** No more events; iterators end once they have yielded what was emitted. */
  close(): void {
    this.#closed = true;
    const w = this.#waiters;
    this.#waiters = [];
    for (const wake of w) wake();
  }

  /** Events with `seq > afterSeq` (so `from(0)` is everything), then live ones until the run ends. */
  async *from(afterSeq = 0): AsyncGenerator<FaultlineEvent> {
    // seq starts at 1 and has no holes, so the index of seq n is n - 1
    let next = Math.max(0, afterSeq);
    for (;;) {
      while (next < this.#events.length) yield this.#events[next++]!;
      if (this.#closed) return;
      await new Promise<void>((r) => this.#waiters.push(r));
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<FaultlineEvent> {
    return this.from(0);
  }

  /** The events as NDJSON lines (each ends with '\n'), from a seq on. */
  async *ndjson(afterSeq = 0): AsyncGenerator<string> {
    for await (const e of this.from(afterSeq)) yield `${JSON.stringify(e)}\n`;
  }
}

/** Parses NDJSON text back into events, skipping blank lines. */
export function parseNdjson(text: string): FaultlineEvent[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as FaultlineEvent);
}
