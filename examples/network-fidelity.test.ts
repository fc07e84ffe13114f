import { expect, it } from 'vitest';
import { main } from './network-fidelity.js';

const isRoot = process.platform === 'linux' && process.getuid?.() === 0;

it.skipIf(!isRoot)(
  'the network-fidelity example: ping sees the loss, only the targeted port is slow',
  {
    timeout: 60_000,
  },
  async () => {
    const r = await main();
    expect(r.ping.lossPercent).toBeGreaterThan(35);
    expect(r.ping.lossPercent).toBeLessThan(65);
    expect(r.ping.errors).toBe(0);
    // 64 KiB at 1 mbit is about half a second; unshaped it is a few ms
    expect(r.slowPortMs).toBeGreaterThan(300);
    expect(r.otherPortMs).toBeLessThan(r.slowPortMs / 3);
    expect(r.verdict).toBe('Pass');
    expect(r.reverts.every((x) => x.ok)).toBe(true);
  },
);
