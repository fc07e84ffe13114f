// The README's "Try it in one process" block, run as written with the package names a user imports.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { tempDir } from '../test/helpers.js';
import { FROM_SOURCE, REPO } from '../test/netns.js';

const pkg = fileURLToPath(new URL('..', import.meta.url));

it('the README "Try it in one process" block runs as written', { timeout: 60_000 }, async ({
  onTestFinished,
}) => {
  const readme = readFileSync(`${pkg}README.md`, 'utf8');
  const code = readme.match(/## Try it in one process\n\n[^`]*```ts\n([\s\S]*?)```/)?.[1];
  expect(code, 'README has the block').toBeTruthy();
  const state = await tempDir('flagent-readme-');
  // inside the package, so its imports resolve as a user's would (through the package names)
  const file = `${pkg}.readme-example-${randomUUID().slice(0, 8)}.ts`;
  writeFileSync(file, code as string);
  onTestFinished(() => rmSync(file, { force: true }));
  const { stdout } = await promisify(execFile)(process.execPath, [...FROM_SOURCE, file], {
    cwd: REPO,
    env: { ...process.env, FAULTLINE_STATE_DIR: state },
  });
  expect(stdout.trim().split('\n')).toEqual(['injected: 1', 'Pass 0']);
});
