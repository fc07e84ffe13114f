// Runs the README's first block ("From npm i to a passing chaos test") with vitest, as written: it is
// copied into a folder of its own inside this package (so `@faultline/proxy` resolves as it would for
// a user) and run by a child vitest. A README edit that breaks the block fails here.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const repo = join(pkg, '..', '..');

/** The first ```ts block after the five-minute heading. */
function firstBlock(): string {
  const readme = readFileSync(join(pkg, 'README.md'), 'utf8');
  const from = readme.indexOf('## From `npm i` to a passing chaos test');
  const m = /```ts\n([\s\S]*?)```/.exec(readme.slice(from));
  if (from < 0 || !m) throw new Error('the README lost its five-minute block');
  return m[1]!;
}

it('the README block is a passing vitest test file', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(pkg, 'test', '.readme-'));
  try {
    writeFileSync(join(dir, 'checkout.test.ts'), firstBlock());
    writeFileSync(
      join(dir, 'vitest.config.mjs'),
      // what a user's project gets from the published package: here, the sources through the repo's condition
      `export default { ssr: { resolve: { conditions: ['@faultline/source', 'module', 'node', 'development|production'] } }, test: { include: ['checkout.test.ts'] } };\n`,
    );
    const r = spawnSync(
      process.execPath,
      [
        join(repo, 'node_modules', 'vitest', 'vitest.mjs'),
        'run',
        '--root',
        dir,
        '--config',
        join(dir, 'vitest.config.mjs'),
      ],
      { cwd: dir, encoding: 'utf8', timeout: 55_000, env: { ...process.env, NO_COLOR: '1', CI: '1' } },
    );
    const out = `${r.stdout}\n${r.stderr}`;
    expect(out, out).toMatch(/Tests\s+1 passed \(1\)/);
    expect(r.status, out).toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
