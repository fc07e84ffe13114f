import { describe, expect, it } from 'vitest';
import { sleep, timeoutSignal } from './timing.js';

describe('timers longer than one Node timer honours', () => {
  // a plain setTimeout of 2^31 ms fires after 1 ms (TimeoutOverflowWarning): these must not
  it('sleep(2^31 ms) does not end early', async () => {
    const ac = new AbortController();
    const cut = setTimeout(() => ac.abort(), 200);
    try {
      expect(await sleep(2 ** 31, ac.signal)).toBe(false); // ended by the abort, not by the timer
    } finally {
      clearTimeout(cut);
    }
  });
  it('timeoutSignal(2^31 ms) does not fire early', async () => {
    const t = timeoutSignal(2 ** 31 + 5);
    try {
      await new Promise((r) => setTimeout(r, 200));
      expect(t.signal.aborted).toBe(false);
    } finally {
      t.dispose();
    }
  });
  it('short timers are unchanged', async () => {
    const t0 = performance.now();
    expect(await sleep(30)).toBe(true);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(29);
    const t = timeoutSignal(20);
    await new Promise((r) => setTimeout(r, 80));
    expect(t.signal.aborted).toBe(true);
  });
});
