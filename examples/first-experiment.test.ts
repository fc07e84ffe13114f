import { expect, it } from 'vitest';
import { main } from './first-experiment.js';

it('the first-experiment example runs: the service fails during maintenance and the flag is reverted', async () => {
  const result = await main();
  expect(result.verdict).toBe('Fail'); // the toy service answers 503 while the flag exists
  expect(result.score).toBe(0);
  expect(result.reverts).toEqual([expect.objectContaining({ ok: true })]);
});
