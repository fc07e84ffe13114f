import type { LinkContext, Stage, Target } from './stage.js';
import { draw, type ToxicEntry } from './toxic-set.js';
import type { Stream } from './toxic-type.js';

/** One placed toxic: its name and its stage on this chain. */
interface Placed {
  name: string;
  stage: Stage;
}

/**
 * The toxic stages of one link, in order, ending at a sink. Toxics are appended (Toxiproxy chains
 * them in the order they were added); removing one hands on what it held at once, so a removal never
 * waits on traffic (Toxiproxy issues #88, #558).
 */
export class Chain {
  /** Where the next chunk goes: the first stage, or the sink when there is none (the fast path). */
  head: Target;
  readonly #placed: Placed[] = [];

  constructor(private readonly sink: Target) {
    this.head = sink;
  }

  /** Adds a toxic's stage at the end. `active` is its toxicity draw. */
  add(name: string, stage: Stage, active: boolean): void {
    const last = this.#placed.at(-1);
    stage.next = this.sink;
    stage.active = active;
    if (last) last.stage.next = stage;
    else this.head = stage;
    this.#placed.push({ name, stage });
    stage.start();
  }

  /** Re-draws a toxic after an update: what it held goes on first, then it starts again. */
  redraw(name: string, active: boolean): void {
    const p = this.#placed.find((x) => x.name === name);
    if (!p) return;
    p.stage.flush();
    p.stage.active = active;
    p.stage.start();
  }

  remove(name: string): void {
    const i = this.#placed.findIndex((x) => x.name === name);
    if (i < 0) return;
    const { stage } = this.#placed[i]!;
    this.#placed.splice(i, 1);
    const prev = this.#placed[i - 1];
    if (prev) prev.stage.next = stage.next;
    else this.head = stage.next;
    stage.removed();
  }

  /** The link is gone: stop every stage's timers. */
  destroy(): void {
    for (const p of this.#placed) p.stage.destroy();
    this.#placed.length = 0;
    this.head = this.sink;
  }
}

/** The two chains of a connection or a UDP flow, and how a proxy's toxics land on them. */
export class ChainPair {
  constructor(
    readonly up: Chain,
    readonly down: Chain,
    private readonly ctxOf: (stream: Stream) => LinkContext,
  ) {}

  #of(t: ToxicEntry): Chain {
    return t.live.stream === 'upstream' ? this.up : this.down;
  }

  /** Puts a toxic on the chain of its stream, drawn against its toxicity. */
  place(t: ToxicEntry): void {
    const stage = t.type.stage?.(this.ctxOf(t.live.stream), () => t.live.attributes, t.live);
    if (stage) this.#of(t).add(t.live.name, stage, draw(t.live.toxicity));
  }

  /** The toxic changed: draw again. */
  redraw(t: ToxicEntry): void {
    this.#of(t).redraw(t.live.name, draw(t.live.toxicity));
  }

  unplace(t: ToxicEntry): void {
    this.#of(t).remove(t.live.name);
  }

  destroy(): void {
    this.up.destroy();
    this.down.destroy();
  }
}
