import { expect, it } from 'vitest';
import { main } from './pause-a-worker-pool.js';

it('the worker-pool example: a parent paused alone goes unnoticed, a paused tree stops the heartbeat', {
  timeout: 60_000,
}, async () => {
  const { parentOnly, wholeTree } = await main();
  // tree: false — the workers went on beating while their parent was stopped
  expect(parentOnly.probes.find((p) => p.probe === 'heartbeat')?.passed).toBe(true);
  expect(parentOnly.verdict).toBe('Pass');
  // tree: true (the default) — nothing of the pool ran during the pause
  expect(wholeTree.probes.find((p) => p.probe === 'heartbeat')?.passed).toBe(false);
  expect(wholeTree.verdict).toBe('Fail');
  for (const r of [parentOnly, wholeTree]) expect(r.reverts.every((x) => x.ok)).toBe(true);
});
