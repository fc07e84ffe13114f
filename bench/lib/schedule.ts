// A drift-correcting ticker: what bench/probe-jitter.ts measures beside core's runner, which
// schedules Continuous probes on its own fixed grid (packages/core/src/probe-exec.ts). A bench
// instrument, not part of any package.
/** What a tick knows about its own timing. */
export interface TickInfo {
  /** 0, 1, 2 … — the slot on the schedule (slots missed while busy are skipped, not replayed). */
  index: number;
  /** `performance.now()` the tick was due. */
  dueAt: number;
  /** `performance.now()` it ran. */
  firedAt: number;
  /** firedAt − dueAt, in ms. */
  lateMs: number;
}

/** A running schedule. */
export interface Ticker {
  /** Stops it; a tick in progress finishes, none starts after. */
  stop(): void;
  readonly stopped: boolean;
  /** Slots skipped because the previous tick was still running or the loop was blocked past a slot. */
  readonly skipped: number;
}

/** Options of {@link every}. */
export interface EveryOptions {
  /** Stops the schedule when it fires. */
  signal?: AbortSignal;
  /** Delay of slot 0 from now (default 0: the first tick is immediate). */
  startInMs?: number;
  /**
   * Wake this many ms early and finish the wait with `setImmediate` turns: node's timers round to
   * whole milliseconds and fire up to 1 ms late on an idle machine. Default 1; 0 turns it off.
   */
  earlyMs?: number;
}

/**
 * Runs `onTick` every `periodMs` on a fixed grid (slot k is due at start + k × period), so lateness
 * never accumulates: each wait is computed from the grid, not from the previous tick. A tick whose
 * predecessor (sync or async) is still running is skipped rather than queued, so a slow probe
 * never runs twice at once nor bursts to catch up.
 */
export function every(
  periodMs: number,
  onTick: (info: TickInfo) => unknown,
  opts: EveryOptions = {},
): Ticker {
  if (!(periodMs > 0)) throw new RangeError(`period must be > 0 ms, got ${periodMs}`);
  const earlyMs = opts.earlyMs ?? 1;
  const start = performance.now() + (opts.startInMs ?? 0);
  let index = 0;
  let stopped = false;
  let busy = false;
  let skipped = 0;
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;

  const stop = () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    if (immediate) clearImmediate(immediate);
    opts.signal?.removeEventListener('abort', stop);
  };
  opts.signal?.addEventListener('abort', stop, { once: true });

  const fire = () => {
    immediate = undefined;
    if (stopped) return;
    const dueAt = start + index * periodMs;
    const now = performance.now();
    if (now < dueAt) {
      // finish the last (sub-)millisecond without a timer; setImmediate yields to I/O between turns
      immediate = setImmediate(fire);
      return;
    }
    const info: TickInfo = { index, dueAt, firedAt: now, lateMs: now - dueAt };
    if (busy) skipped++;
    else {
      busy = true;
      try {
        const r = onTick(info);
        if (r && typeof (r as Promise<unknown>).then === 'function') {
          (r as Promise<unknown>).then(done, done);
        } else busy = false;
      } catch {
        busy = false;
      }
    }
    // the next slot after now: slots missed by a blocked loop are skipped, not replayed in a burst
    const next = Math.max(index + 1, Math.floor((performance.now() - start) / periodMs) + 1);
    skipped += next - index - 1;
    index = next;
    arm();
  };
  const done = () => {
    busy = false;
  };
  const arm = () => {
    if (stopped) return;
    const wait = start + index * periodMs - performance.now() - earlyMs;
    if (wait <= 0) immediate = setImmediate(fire);
    else timer = setTimeout(fire, wait);
  };
  if (opts.signal?.aborted) stop();
  else arm();

  return {
    stop,
    get stopped() {
      return stopped;
    },
    get skipped() {
      return skipped;
    },
  };
}
