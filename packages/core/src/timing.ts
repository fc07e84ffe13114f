import { MAX_DURATION_MS as MAX_TIMER_MS } from './units.js';

/**
 * setTimeout for any delay: one longer than a Node timer honours is chained from several, so it
 * never fires early. Specs cannot ask for such a delay (units bound durations), but a sum of them can.
 */
function timer(f: () => void, ms: number): { clear(): void } {
  let t: NodeJS.Timeout;
  const arm = (left: number) => {
    t = setTimeout(
      () => (left > MAX_TIMER_MS ? arm(left - MAX_TIMER_MS) : f()),
      Math.min(left, MAX_TIMER_MS),
    );
  };
  arm(ms);
  return { clear: () => clearTimeout(t) };
}

/** Resolves after `ms`, or early (without throwing) when the signal aborts. Returns whether it slept the full time. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    if (ms <= 0) return resolve(true);
    const onAbort = () => {
      t.clear();
      resolve(false);
    };
    const t = timer(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A promise that rejects when the signal aborts (with its reason), for racing work that ignores signals. */
export function whenAborted(signal: AbortSignal): { promise: Promise<never>; dispose(): void } {
  let onAbort: () => void = () => {};
  const promise = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  promise.catch(() => {});
  return { promise, dispose: () => signal.removeEventListener('abort', onAbort) };
}

/** An AbortSignal that fires after `ms` or when `parent` fires, and a dispose that clears the timer. */
export function timeoutSignal(ms: number, parent?: AbortSignal): { signal: AbortSignal; dispose(): void } {
  const ac = new AbortController();
  const t = timer(() => ac.abort(new Error(`timed out after ${ms}ms`)), ms);
  const onParent = () => ac.abort(parent?.reason);
  if (parent?.aborted) onParent();
  else parent?.addEventListener('abort', onParent, { once: true });
  return {
    signal: ac.signal,
    dispose: () => {
      t.clear();
      parent?.removeEventListener('abort', onParent);
    },
  };
}
