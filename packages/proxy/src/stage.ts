/**
 * The pipeline one direction of a connection (or a UDP flow) runs through: toxic stages in order,
 * then the sink that writes to the destination socket. Stages pass Buffers by reference — no copies.
 */

/** Where a stage writes: the next stage or the sink. */
export interface Target {
  write(chunk: Buffer): void;
  end(): void;
}

/** What a stage may do to its connection besides passing data on. */
export interface LinkContext {
  /** Bytes a stage took in and will never pass on (dropped): the link's buffer accounting needs them. */
  release(bytes: number): void;
  /** Closes the whole connection the way Toxiproxy closes a stub: both sockets, FIN. */
  close(): void;
  /** Resets the whole connection: both sockets, RST (SO_LINGER 0). */
  reset(): void;
}

/**
 * One toxic on one link. `active` is the toxicity draw: an inactive stage passes everything through.
 * `attrs()` reads the toxic's attributes as they are now (an update takes effect on the next chunk).
 */
export abstract class Stage<A = unknown> implements Target {
  next!: Target;
  active = true;
  /** The input ended (EOF) and this stage has not passed it on yet. */
  protected ending = false;

  constructor(
    protected readonly link: LinkContext,
    protected readonly attrs: () => A,
  ) {}

  write(chunk: Buffer): void {
    if (this.active) this.onData(chunk);
    else this.next.write(chunk);
  }

  end(): void {
    if (this.active) this.onEnd();
    else this.next.end();
  }

  protected abstract onData(chunk: Buffer): void;

  /** Called when the stage takes effect on a link (placed with `active`, or re-drawn after an update). */
  start(): void {}

  protected onEnd(): void {
    this.next.end();
  }

  /** Hands everything held to `next` now and stops timers (the toxic is removed or turned off). */
  flush(): void {
    if (this.ending) {
      this.ending = false;
      this.next.end();
    }
  }

  /** The toxic is removed from a live link. Toxiproxy's timeout overrides this to close the connection. */
  removed(): void {
    this.flush();
  }

  /** The link is gone: stop timers, drop what is held. */
  destroy(): void {}
}

/**
 * How early a precise stage stops trusting the event loop's timers (they count whole ms and fire up
 * to ~1 ms late) and polls the clock on every loop turn instead.
 */
export const PRECISE_LEAD_MS = 2;

/**
 * A stage that holds chunks in a FIFO until their time comes (latency, bandwidth, slicer). A `precise`
 * stage (latency) sleeps on a timer until {@link PRECISE_LEAD_MS} before a chunk is due, then checks the
 * clock each loop turn (setImmediate) and releases it within ~0.1 ms; the others release what is due
 * within half a millisecond of a timer firing, and never poll.
 */
export abstract class QueueStage<A = unknown> extends Stage<A> {
  protected readonly queue: Buffer[] = [];
  protected readonly due: number[] = [];
  protected precise = false;
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;

  protected enqueue(chunk: Buffer, at: number): void {
    this.queue.push(chunk);
    this.due.push(at);
    if (this.#timer === undefined && this.#immediate === undefined) this.#arm();
  }

  protected override onEnd(): void {
    if (this.queue.length === 0) this.next.end();
    else this.ending = true;
  }

  /** Releases every chunk whose time has come, then waits for the next one. */
  readonly #fire = (): void => {
    this.#timer = undefined;
    this.#immediate = undefined;
    const now = performance.now();
    const slack = this.precise ? 0.05 : 0.5;
    let i = 0;
    while (i < this.due.length && this.due[i]! <= now + slack) i++;
    const out = this.queue.splice(0, i);
    this.due.splice(0, i);
    for (const c of out) this.next.write(c);
    if (this.queue.length > 0) this.#arm();
    else if (this.ending) super.flush();
  };

  #arm(): void {
    const wait = this.due[0]! - performance.now();
    if (!this.precise) this.#timer = setTimeout(this.#fire, Math.max(0, wait));
    else if (wait > PRECISE_LEAD_MS) this.#timer = setTimeout(this.#fire, wait - PRECISE_LEAD_MS);
    else this.#immediate = setImmediate(this.#fire);
  }

  #disarm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    this.#timer = undefined;
    this.#immediate = undefined;
  }

  override flush(): void {
    this.#disarm();
    const out = this.queue.splice(0);
    this.due.splice(0);
    for (const c of out) this.next.write(c);
    super.flush();
  }

  override destroy(): void {
    this.#disarm();
    this.queue.length = 0;
    this.due.length = 0;
  }
}
