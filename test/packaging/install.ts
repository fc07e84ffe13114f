// What a user does with the published packages, minus the registry upload: build, `npm pack` every
// workspace, and `npm install` the tarballs into an empty project outside the repository.
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** The repository root. */
export const repo = fileURLToPath(new URL('../..', import.meta.url));
const appSources = fileURLToPath(new URL('./app', import.meta.url));

/** One `npm pack --json` record. */
export interface Packed {
  name: string;
  filename: string;
  files: { path: string }[];
}

/** The installed app and how long each stage took. */
export interface Installed {
  /** The temp directory: `tarballs/`, `prebuilds/` and the project `app/`. */
  root: string;
  app: string;
  packed: Packed[];
  /** Whether npm compiled better-sqlite3 (false: it took the local prebuild). */
  compiledSqlite: boolean;
  ms: { build: number; pack: number; install: number };
}

/**
 * The environment of the commands run in the app: no `npm_*` variables of the `npm test` that runs
 * this (npm_config_local_prefix would point npm at the repository), no NODE_OPTIONS (plain node).
 */
export function appEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !/^npm_/i.test(k) && k !== 'INIT_CWD' && k !== 'NODE_OPTIONS',
    ),
  );
  return { ...env, ...extra };
}

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const r = await f();
  return [r, Math.round(performance.now() - t0)];
}

/**
 * better-sqlite3 12 compiles from source on install here (its prebuilt binaries are downloaded
 * from GitHub, which this machine cannot reach): ~70 s of the test's time. Its installer,
 * prebuild-install, first looks for a local prebuild: we hand it the binary that the repository's
 * own `npm ci` compiled (same version, same Node ABI, same machine), packed as a prebuild. So npm
 * still resolves every dependency and runs better-sqlite3's install script, and the compile from
 * source stays tested by `npm ci`. A different resolved version finds no prebuild and compiles.
 */
async function localSqlitePrebuild(dir: string): Promise<Record<string, string>> {
  const pkgDir = join(repo, 'node_modules/better-sqlite3');
  const { version } = JSON.parse(await readFile(join(pkgDir, 'package.json'), 'utf8')) as { version: string };
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  await mkdir(dir, { recursive: true });
  await exec('tar', ['czf', join(dir, name), '-C', pkgDir, 'build/Release/better_sqlite3.node']);
  return { npm_config_better_sqlite3_local_prebuilds: dir };
}

/** Builds, packs and installs every package into a fresh project under the OS temp dir. */
export async function buildPackInstall(): Promise<Installed> {
  const root = await mkdtemp(join(tmpdir(), 'faultline-packaging-'));
  try {
    const [, build] = await timed(() => exec('npm', ['run', 'build'], { cwd: repo, env: appEnv() }));
    const tarballs = join(root, 'tarballs');
    await mkdir(tarballs);
    // prepack would build each package again: the build above is the one under test
    const [packed, pack] = await timed(async () => {
      const args = ['pack', '--workspaces', '--ignore-scripts', '--json', '--pack-destination', tarballs];
      const { stdout } = await exec('npm', args, { cwd: repo, env: appEnv(), maxBuffer: 64 << 20 });
      return JSON.parse(stdout) as Packed[];
    });
    const app = join(root, 'app');
    await cp(appSources, app, { recursive: true });
    const pkg = { name: 'faultline-packaging-app', private: true, type: 'module' };
    await writeFile(join(app, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
    const env = appEnv(await localSqlitePrebuild(join(root, 'prebuilds')));
    // the app's own probe uses valibot, as any user-written probe does; --prefer-offline takes
    // package metadata and tarballs from npm's cache when it has them (the registry otherwise)
    const [, install] = await timed(() =>
      exec(
        'npm',
        [
          'install',
          '--no-audit',
          '--no-fund',
          '--prefer-offline',
          ...packed.map((p) => join(tarballs, p.filename)),
          'valibot@^1',
        ],
        { cwd: app, env, maxBuffer: 64 << 20 },
      ),
    );
    // a compile leaves its object files beside the binary; a prebuild is the binary alone
    const built = await readdir(join(app, 'node_modules/better-sqlite3/build/Release'));
    return {
      root,
      app,
      packed,
      compiledSqlite: built.includes('obj.target'),
      ms: { build, pack, install },
    };
  } catch (e) {
    await rm(root, { recursive: true, force: true });
    throw e;
  }
}
