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

/** One toxic on one link. `active` is the toxicity draw: an inactive stage passes everything through. */
export abstract class Stage implements Target {
  next!: Target;
  active = true;
  /** The input ended (EOF) and this stage has not passed it on yet. */
  protected ending = false;

  constructor(protected readonly link: LinkContext) {}

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

/** A stage that holds chunks in a FIFO until their time comes (latency, bandwidth, slicer). */
export abstract class QueueStage extends Stage {
  protected readonly queue: Buffer[] = [];
  protected readonly due: number[] = [];
  protected timer: NodeJS.Timeout | undefined;

  protected enqueue(chunk: Buffer, at: number): void {
    this.queue.push(chunk);
    this.due.push(at);
    if (this.timer === undefined) this.arm();
  }

  protected override onEnd(): void {
    if (this.queue.length === 0) this.next.end();
    else this.ending = true;
  }

  /** Releases every chunk whose time has come, then waits for the next one. */
  protected readonly fire = (): void => {
    this.timer = undefined;
    const now = performance.now();
    let i = 0;
    // a timer fires up to ~1 ms late or a fraction early (ms resolution): release what is due within 0.5 ms
    while (i < this.due.length && this.due[i]! <= now + 0.5) i++;
    const out = this.queue.splice(0, i);
    this.due.splice(0, i);
    for (const c of out) this.next.write(c);
    if (this.queue.length > 0) this.arm();
    else if (this.ending) super.flush();
  };

  private arm(): void {
    this.timer = setTimeout(this.fire, Math.max(0, this.due[0]! - performance.now()));
  }

  override flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const out = this.queue.splice(0);
    this.due.splice(0);
    for (const c of out) this.next.write(c);
    super.flush();
  }

  override destroy(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
    this.due.length = 0;
  }
}
