// Every fault of every pack in the repository goes through core's faultContract: this collects (runs
// nothing) the tests of each workspace package whose pack has faults, and looks for the suite
// `faultContract: <kind>` that faultContract names after each fault it checks. A contract skipped on
// this host (no sch_netem, no systemd) still counts: it exists and runs where the host can.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Pack } from '@faultline/core';
import { expect, it } from 'vitest';
import projects from '../vitest.workspace.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));
const readJson = (file: string) => JSON.parse(readFileSync(join(repo, file), 'utf8'));

/** The vitest project whose root is this package directory. */
function projectOf(dir: string): string | undefined {
  for (const p of projects) {
    const t = typeof p === 'object' && 'test' in p ? p.test : undefined;
    if (t?.root !== undefined && resolve(repo, t.root) === resolve(repo, dir)) return t.name as string;
  }
  return undefined;
}

/** Each workspace package that exports a pack with faults, and the project that holds its tests. */
async function packsWithFaults(): Promise<{ dir: string; pack: Pack; project: string | undefined }[]> {
  const out = [];
  for (const dir of readJson('package.json').workspaces as string[]) {
    const mod = await import(readJson(join(dir, 'package.json')).name);
    const pack = (mod.pack ?? mod.default) as Pack | undefined;
    if (pack?.faults?.length) out.push({ dir, pack, project: projectOf(dir) });
  }
  return out;
}

it('every fault of every pack is run through faultContract', { timeout: 180_000 }, async () => {
  const packs = await packsWithFaults();
  expect(packs.map((p) => p.pack.name)).toContain('@faultline/faults-linux');
  for (const p of packs) expect(p.project, `${p.dir} has a vitest project`).toBeDefined();
  // a fresh process: collecting inside this test's own vitest worker would nest two runners
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST')));
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [join(repo, 'test/collect-tests.mjs'), ...packs.map((p) => p.project!)],
    { cwd: repo, env, maxBuffer: 64 * 1024 * 1024 },
  );
  const covered = new Set(
    (JSON.parse(stdout) as { name: string }[]).map((t) => /^faultContract: (\S+) > /.exec(t.name)?.[1]),
  );
  const missing = packs.flatMap((p) =>
    (p.pack.faults ?? []).filter((f) => !covered.has(f.kind)).map((f) => `${p.pack.name}: ${f.kind}`),
  );
  expect(missing, 'faults without a faultContract(fault, {...}) in their package tests').toEqual([]);
});
