// What ships is src/ (built to dist); tests, fixtures and harnesses live in each package's test/.
// So nothing a package runs may import from test/ — only the tests themselves (*.test.ts) may.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const repo = fileURLToPath(new URL('..', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sourceFiles(join(dir, e.name))
      : /\.(ts|mts|mjs|js)$/.test(e.name) && !e.name.endsWith('.test.ts')
        ? [join(dir, e.name)]
        : [],
  );
}

it('no source file under packages/*/src imports from a test/ folder', () => {
  const offenders: string[] = [];
  for (const pkg of readdirSync(join(repo, 'packages'))) {
    const src = join(repo, 'packages', pkg, 'src');
    for (const file of sourceFiles(src)) {
      for (const [, spec] of readFileSync(file, 'utf8').matchAll(/\bfrom\s+'(\.[^']+)'/g)) {
        const target = relative(join(repo, 'packages', pkg), resolve(file, '..', spec!));
        if (target.startsWith('test/') || target.startsWith('../'))
          offenders.push(`${relative(repo, file)} → ${spec}`);
      }
    }
  }
  expect(offenders).toEqual([]);
});
