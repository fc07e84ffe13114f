import type { Stage, Target } from './stage.js';

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
