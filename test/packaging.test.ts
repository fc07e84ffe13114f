// The packages as a user gets them: built, packed, installed from the tarballs into an empty project
// outside the repository, and run with plain node (no tsx, no @faultline/source condition).
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appEnv, buildPackInstall, type Installed, repo } from './packaging/install.js';
import { alive, until } from './support/poll.js';

const exec = promisify(execFile);
/** Every workspace package: a new package is held to the same rules the day it is added. */
const PACKAGES = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')).workspaces as string[])
  .map((w) => JSON.parse(readFileSync(join(repo, w, 'package.json'), 'utf8')).name as string)
  .sort();
/** What must never ship: sources, tests and what only tests use. */
const NOT_SHIPPED =
  /(^|\/)(src|test|tests|__tests__|fixtures?)\/|\.(test|spec)\.|test-utils|test-support|harness/;

let inst: Installed;
beforeAll(async () => {
  inst = await buildPackInstall();
  console.log(
    `packaging: build ${inst.ms.build} ms, pack ${inst.ms.pack} ms, install ${inst.ms.install} ms` +
      ` (better-sqlite3 ${inst.compiledSqlite ? 'compiled from source' : 'from the local prebuild'})`,
  );
}, 600_000);
afterAll(async () => {
  if (inst) await rm(inst.root, { recursive: true, force: true });
});

/** Runs one of the app's scripts with plain node in the app; its last stdout line is JSON. */
async function runApp(script: string, args: string[]): Promise<any> {
  const { stdout } = await exec(process.execPath, [script, ...args], {
    cwd: inst.app,
    env: appEnv(),
    timeout: 60_000,
  });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '');
}

async function freshDir(name: string): Promise<string> {
  const dir = join(inst.root, `${name}-${Math.random().toString(36).slice(2, 8)}`);
  await mkdir(dir);
  return dir;
}

describe('the published packages', { timeout: 90_000 }, () => {
  it('each tarball holds package.json, README.md and dist only; every export target ships', async () => {
    expect(inst.packed.map((p) => p.name).sort()).toEqual([...PACKAGES].sort());
    for (const p of inst.packed) {
      const paths = p.files.map((f) => f.path);
      expect(
        paths.filter((f) => NOT_SHIPPED.test(f)),
        p.name,
      ).toEqual([]);
      expect(
        paths.filter((f) => !/^(package\.json|README\.md|dist\/.+)$/.test(f)),
        p.name,
      ).toEqual([]);
      const pkg = JSON.parse(await readFile(join(inst.app, 'node_modules', p.name, 'package.json'), 'utf8'));
      expect([pkg.files, pkg.publishConfig], p.name).toEqual([['dist', 'README.md'], { access: 'public' }]);
      // sideEffects: false, or the few scripts run as programs (sentinel, resolver), which ship
      if (pkg.sideEffects !== false)
        expect(paths, p.name).toEqual(expect.arrayContaining(pkg.sideEffects.map((f: string) => f.slice(2))));
      for (const [sub, target] of Object.entries<string | { types: string; default: string }>(pkg.exports)) {
        if (typeof target === 'string') continue; // ./package.json
        expect(Object.keys(target), `${p.name} ${sub}`).toEqual(['@faultline/source', 'types', 'default']);
        expect(paths, `${p.name} ${sub}`).toEqual(
          expect.arrayContaining([target.types.slice(2), target.default.slice(2)]),
        );
      }
      if (p.name !== '@faultline/core') {
        expect(pkg.peerDependencies).toEqual({ '@faultline/core': '^0.1.0' });
        expect(pkg.dependencies['@faultline/core']).toBeUndefined();
      }
    }
    // one copy of core in the app, shared by the packs
    const nested = await Promise.all(
      PACKAGES.filter((n) => n !== '@faultline/core').map((n) =>
        readdir(join(inst.app, 'node_modules', n, 'node_modules/@faultline')).catch(() => []),
      ),
    );
    expect(nested.flat()).toEqual([]);
    expect(inst.app.startsWith(repo)).toBe(false);
  });

  it('core + faults-linux alone: a disk fill and a DNS error run, score, and leave nothing', async () => {
    const dir = await freshDir('fill');
    const ns = `flpkg-${Math.random().toString(36).slice(2, 8)}`;
    await exec('ip', ['netns', 'add', ns]);
    try {
      await exec('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      const r = await runApp('linux-only.mjs', [dir, ns, await freshDir('state')]);
      expect(r.resolved['@faultline/core']).toBe(
        `file://${inst.app}/node_modules/@faultline/core/dist/index.js`,
      );
      expect(r.faults).toEqual([
        ['linux/disk-fill', 'completed', null],
        ['linux/dns-error', 'completed', null],
      ]);
      // the app's probe saw each fault's trace (fill file, nft table) while it was in effect
      for (const [, kind, passed, runs] of r.probes.filter((p: any[]) => p[0] === 'trace'))
        expect([kind, passed, runs > 0]).toEqual(['app/fault-trace', true, true]);
      expect([r.verdict, r.score]).toEqual(['Pass', 100]);
      expect(r.reverts).toEqual([
        ['linux/disk-fill', true],
        ['linux/dns-error', true],
      ]);
      // the sentinel ran from core's dist and imported the pack from the app's node_modules
      expect(r.sentinelLog).toContain('"what":"pack-loaded","pack":"@faultline/faults-linux"');
      expect(r.dirAfter).toEqual([]);
      expect(r.leftovers).toEqual([]);
      const { stdout } = await exec('ip', ['netns', 'exec', ns, 'nft', 'list', 'tables']);
      expect(stdout).not.toContain('faultline');
    } finally {
      await exec('ip', ['netns', 'del', ns]);
    }
  });

  it('the SQLite store: the run is journaled, and its events and result read back as streamed', async () => {
    const dir = await freshDir('fill');
    const state = await freshDir('state');
    const r = await runApp('sqlite-store.mjs', [dir, join(state, 'faultline.db'), state]);
    expect(r.resolved['@faultline/store-sqlite']).toBe(
      `file://${inst.app}/node_modules/@faultline/store-sqlite/dist/index.js`,
    );
    expect([r.verdict, r.score]).toEqual(['Pass', 100]);
    expect(r.live.map((e: [number, string]) => e[1])).toEqual(
      expect.arrayContaining([
        'run.started',
        'fault.injected',
        'probe.result',
        'fault.reverted',
        'run.finished',
      ]),
    );
    expect(r.stored).toEqual(r.live);
    expect(r.storedEqualsLive).toBe(true);
    expect(r.record).toEqual({ verdict: 'Pass', score: 100, experiment: 'packaged store' });
    expect(r.runs).toEqual([r.runId]);
    expect(r.pending).toBe(0);
    expect(r.dirAfter).toEqual([]);
  });

  it('kill -9 of the host: the sentinel reverts from the SQLite journal, all from the installed dist', async () => {
    const dir = await freshDir('fill');
    const state = await freshDir('state');
    const db = join(state, 'faultline.db');
    const host = spawn(process.execPath, ['killed-host.mjs', dir, db, state], {
      cwd: inst.app,
      env: appEnv(),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    host.stdout.on('data', (d) => (out += d));
    try {
      await until('the fill is injected', () => out.includes('\n'), 30_000);
      const { injected, sentinel } = JSON.parse(out);
      expect(injected).toEqual([expect.stringMatching(/^faultline_.*\.fill$/)]);
      host.kill('SIGKILL');
      await until('the sentinel removed the fill', async () => (await readdir(dir)).length === 0, 15_000);
      await until('the sentinel exited', () => !alive(sentinel), 15_000);
      expect(await runApp('pending.mjs', [db])).toEqual([]);
      expect(await readFile(join(state, 'sentinel.log'), 'utf8')).toMatch(/"what":"reverted".*"ok":true/);
    } finally {
      host.kill('SIGKILL');
    }
  });

  it('the agent: faultline-agent from the tarball serves, runs a fill for the client, stops, prints its unit', async () => {
    const dir = await freshDir('fill');
    const r = await runApp('agent.mjs', [dir, await freshDir('state')]);
    expect(r).toEqual({
      packs: ['@faultline/faults-linux', '@faultline/probes'],
      verdict: 'Pass',
      types: expect.arrayContaining(['run.started', 'fault.injected', 'fault.reverted', 'run.finished']),
      dirAfter: [],
      exitCode: 0,
      // the unit names the bin this installation runs
      execStart: join(inst.app, 'node_modules/.bin/faultline-agent'),
    });
  });

  it("each package README's CommonJS block runs as written and prints what its comments say", async () => {
    for (const name of PACKAGES) {
      // the README in the tarball: the one npm shows
      const readme = await readFile(join(inst.app, 'node_modules', name, 'README.md'), 'utf8');
      const block = readme.match(/## CommonJS\n\n```js\n([\s\S]*?)```/)?.[1];
      expect(block, `${name} README has a CommonJS block`).toBeTruthy();
      const expected = [...(block as string).matchAll(/console\.log\(.*\/\/ (.*)$/gm)].map((m) => m[1]);
      const file = `readme-${name.split('/')[1]}.cjs`;
      await writeFile(join(inst.app, file), block as string);
      const { stdout } = await exec(process.execPath, [file], {
        cwd: inst.app,
        env: appEnv(),
        timeout: 30_000,
      });
      expect(stdout.trim().split('\n'), name).toEqual(expected);
    }
  });

  it("require() from CommonJS: what each package README's CommonJS note says", async () => {
    expect(await runApp('require.cjs', [])).toEqual({
      requireModule: true,
      createRuntime: 'function',
      experiment: 'function',
      coreHasDefault: false,
      sameModuleAsImport: true,
      linuxDefaultIsPack: true,
      probesDefaultIsPack: true,
      sqliteStore: 'function',
      // @faultline/core/testing imports vitest, an optional peer this app does not have
      testing: 'ERR_MODULE_NOT_FOUND',
      tunablesError: [true, 'FL_TUNABLES'],
    });
  });
});
