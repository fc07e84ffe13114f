import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { expect, it } from 'vitest';
import { testDir } from '../test/helpers.js';
import { SCHEMA_VERSION } from './schema.js';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const repo = fileURLToPath(new URL('../../..', import.meta.url));

it('the README usage example runs as written', async ({ onTestFinished }) => {
  const readme = readFileSync(`${pkg}README.md`, 'utf8');
  const code = readme.match(/## Usage\n\n```ts\n([\s\S]*?)```/)?.[1];
  expect(code, 'README has a Usage block').toBeTruthy();
  const t = testDir(onTestFinished);
  // inside the package, so its imports resolve as a user's would (through the package names)
  const file = `${pkg}.readme-example-${randomUUID().slice(0, 8)}.ts`;
  writeFileSync(file, code as string);
  onTestFinished(() => rmSync(file, { force: true }));
  const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', '--conditions=@faultline/source', file], {
      cwd: repo,
      env: { ...process.env, FAULTLINE_STATE_DIR: t.dir },
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (c) => resolve({ code: c, stdout, stderr }));
  });
  expect(out.code, out.stderr).toBe(0);
  expect(out.stdout.trim()).toBe('0 null []');
  const db = new Database(t.file('faultline.db'), { readonly: true });
  expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
  db.close();
});
