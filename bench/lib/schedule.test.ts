import { describe, expect, it } from 'vitest';
import { every, type TickInfo } from './schedule.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.concurrent('every (drift-correcting ticker)', () => {
  it('ticks on a fixed grid: lateness does not accumulate', async () => {
    const ticks: TickInfo[] = [];
    const t = every(50, (i) => {
      ticks.push(i);
    });
    await sleep(1030);
    t.stop();
    // slots fired or skipped (a busy CI loop may block past one) add up to the ~20 slots of 1 s
    expect(ticks.length + t.skipped).toBeGreaterThanOrEqual(19);
    expect(ticks.length).toBeGreaterThanOrEqual(10);
    expect(ticks.length).toBeLessThanOrEqual(22);
    // slot k is due at start + k × 50, whatever happened before
    for (const k of ticks) expect(k.dueAt - ticks[0]!.dueAt).toBeCloseTo(k.index * 50, 6);
    // lateness does not grow: the typical tick is on time (a median, so one late timer on a shared
    // machine does not fail it; an accumulating drift of 20 slots would)
    const late = ticks.map((k) => k.lateMs).sort((a, b) => a - b);
    expect(late[Math.floor(late.length / 2)]).toBeLessThan(25);
  });

  it('skips a slot while an async tick is still running, never runs two at once', async () => {
    let running = 0;
    let overlap = false;
    let ran = 0;
    const t = every(40, async () => {
      running++;
      if (running > 1) overlap = true;
      ran++;
      await sleep(100);
      running--;
    });
    await sleep(620);
    t.stop();
    expect(overlap).toBe(false);
    expect(ran).toBeGreaterThanOrEqual(4);
    expect(ran).toBeLessThanOrEqual(7);
    expect(t.skipped).toBeGreaterThanOrEqual(6);
  });

  it('does not burst to catch up after the loop was blocked', async () => {
    const ticks: TickInfo[] = [];
    const t = every(20, (i) => {
      ticks.push(i);
    });
    await sleep(5);
    const until = performance.now() + 150;
    while (performance.now() < until) {
      // blocked loop: ~7 slots pass
    }
    await sleep(50);
    t.stop();
    const after = ticks.filter((k) => k.firedAt >= until);
    // consecutive ticks after the block are one period apart on the grid, not replayed together
    for (let i = 1; i < after.length; i++) expect(after[i]!.index).toBeGreaterThan(after[i - 1]!.index);
    expect(after.length).toBeLessThanOrEqual(4);
    expect(t.skipped).toBeGreaterThanOrEqual(5);
  });

  it('stops on its signal and honours startInMs', async () => {
    const ac = new AbortController();
    const fired: number[] = [];
    const t0 = performance.now();
    const t = every(30, () => fired.push(performance.now() - t0), { signal: ac.signal, startInMs: 100 });
    await sleep(80);
    expect(fired).toEqual([]);
    await sleep(100);
    ac.abort();
    const n = fired.length;
    await sleep(100);
    expect(t.stopped).toBe(true);
    expect(fired.length).toBe(n);
    expect(fired[0]).toBeGreaterThanOrEqual(99);
  });
});
