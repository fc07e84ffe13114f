import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { flakyRevert, noop, pack, touchFiles } from '../../test/pack.js';
import { faultContract } from './fault-contract.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
const tempDir = async () => {
  const d = await mkdtemp(join(tmpdir(), 'faultline-core-'));
  dirs.push(d);
  return d;
};

faultContract(touchFiles, {
  pack: pack.name,
  setup: async () => ({ tunables: { dir: await tempDir(), count: 3 } }),
});
faultContract(flakyRevert, { pack: pack.name, setup: async () => ({ tunables: { dir: await tempDir() } }) });
faultContract(noop, { pack: pack.name, setup: async () => ({ tunables: {} }) });
