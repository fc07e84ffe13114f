// A minimal Debian bookworm tree with systemd, built once by debootstrap and shared by every test that
// boots a container (systemd-container.ts mounts it read-only under a per-container overlay).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** What the image holds beyond minbase: systemd as PID 1, and the tools the faults run inside it. */
export const IMAGE_PACKAGES = [
  'systemd',
  'systemd-sysv',
  'dbus', // systemctl talks to PID 1 over the bus
  'iproute2', // ip, tc: network faults inside the container
  'procps', // ps, pgrep, kill
  'nftables',
  'stress-ng',
  'iputils-ping',
  'libstdc++6', // the host's node binary is bind-mounted in and needs it
];
const SUITE = 'bookworm';
/** Bump when the build steps change: it is part of the image directory's name, so a new image is built. */
const RECIPE = 2;
const MARKER = '.faultline-image.json';
/** Bounds a build (or the wait for someone else's): a slow mirror on a busy machine, not forever. */
const BUILD_TIMEOUT_MS = 15 * 60_000;

/** Options of {@link ensureImage}. */
export interface ImageOptions {
  /** Where it lives; default `$FAULTLINE_TEST_IMAGE_DIR` or /var/lib/faultline-test/images/bookworm-<recipe hash>. */
  dir?: string;
  /** Debian mirror; default `$FAULTLINE_TEST_MIRROR`, else the host's apt sources, else deb.debian.org. */
  mirror?: string;
  /** Progress lines; default console.log. */
  log?: (line: string) => void;
}

/** Names what is in an image: worktrees at different versions each get theirs, none removes another's. */
const RECIPE_ID = createHash('sha256')
  .update(JSON.stringify([RECIPE, SUITE, IMAGE_PACKAGES]))
  .digest('hex')
  .slice(0, 8);

/** The image directory that {@link ensureImage} builds when given no `dir`. */
export function defaultImageDir(): string {
  return process.env.FAULTLINE_TEST_IMAGE_DIR ?? `/var/lib/faultline-test/images/${SUITE}-${RECIPE_ID}`;
}

/** The mirror the host's apt uses for the main archive (not -security), so the build goes where apt goes. */
export async function hostMirror(): Promise<string> {
  if (process.env.FAULTLINE_TEST_MIRROR) return process.env.FAULTLINE_TEST_MIRROR;
  const text = await readFile('/etc/apt/sources.list.d/debian.sources', 'utf8').catch(() => '');
  for (const stanza of text.split(/\n\s*\n/)) {
    const uri = /^URIs:\s*(\S+)/m.exec(stanza)?.[1];
    if (uri && !/-security/.test(uri) && /^Suites:.*\bbookworm\b/m.test(stanza)) return uri;
  }
  const list = await readFile('/etc/apt/sources.list', 'utf8').catch(() => '');
  return /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+bookworm\s/m.exec(list)?.[1] ?? 'http://deb.debian.org/debian';
}

async function isComplete(dir: string): Promise<boolean> {
  try {
    const marker = JSON.parse(await readFile(join(dir, MARKER), 'utf8'));
    // a changed package list is a different image: rebuild rather than boot one missing a tool
    return (
      marker.recipe === RECIPE &&
      marker.suite === SUITE &&
      JSON.stringify(marker.packages) === JSON.stringify(IMAGE_PACKAGES)
    );
  } catch {
    return false;
  }
}

/** Runs a command, logging its lines; rejects with the output's tail. `fds` go to the child from fd 3 on. */
function run(argv: string[], log: (l: string) => void, fds: number[] = [], quiet?: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe', ...fds] });
    const tail: string[] = [];
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        tail.push(line);
        if (tail.length > 30) tail.shift();
        if (!quiet?.test(line)) log(line);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    const timer = setTimeout(() => child.kill('SIGKILL'), BUILD_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${argv.join(' ')} failed (${signal ?? `exit ${code}`}):\n${tail.join('\n')}`));
    });
  });
}

/**
 * rm -rf of a tree debootstrap may have left mounts in: a SIGKILLed debootstrap never runs its traps,
 * so its /proc, /sys (and, in a container, a bind of the host's /dev) stay mounted under the target;
 * unmount them first and never cross into another file system.
 */
async function removeTree(path: string, log: (l: string) => void): Promise<void> {
  const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
  const mounts = mountinfo
    .split('\n')
    .map((l) => l.split(' ')[4]?.replace(/\\040/g, ' '))
    .filter((m): m is string => !!m && m.startsWith(`${path}/`))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) await run(['umount', '-l', m], log);
  await run(['rm', '-rf', '--one-file-system', path], log);
}

const building = new Map<string, Promise<string>>();

/**
 * Builds the image once (about 40 s, 250 MB) and returns its directory; later calls return at once.
 * Safe across processes: a flock on `<dir>.lock` serialises builders, a build goes to `<dir>.partial`
 * and is renamed into place only when complete, so a killed build is found half-done and rebuilt.
 */
export function ensureImage(opts: ImageOptions = {}): Promise<string> {
  const dir = opts.dir ?? defaultImageDir();
  let p = building.get(dir);
  if (!p) {
    p = build(dir, opts);
    building.set(dir, p);
    p.catch(() => building.delete(dir)); // the next caller tries again
  }
  return p;
}

async function build(dir: string, opts: ImageOptions): Promise<string> {
  const log = opts.log ?? ((l: string) => console.log(`[systemd-image] ${l}`));
  if (await isComplete(dir)) return dir;
  mkdirSync(dirname(dir), { recursive: true });
  const lock = await open(`${dir}.lock`, 'a');
  try {
    // flock(1) locks the open file description it inherits, which this process keeps holding after
    // flock exits; the kernel drops the lock when the last holder (this process or debootstrap) dies
    const fd = lock.fd;
    await run(['flock', '-xn', '3'], log, [fd]).catch(async () => {
      log(`another process is building ${dir}; waiting for its lock`);
      await run(['flock', '-x', '-w', String(BUILD_TIMEOUT_MS / 1000), '3'], log, [fd]);
    });
    if (await isComplete(dir)) return dir; // the other builder finished it
    const partial = `${dir}.partial`;
    await removeTree(partial, log); // whatever a killed build left
    const mirror = opts.mirror ?? (await hostMirror());
    const started = Date.now();
    log(`building ${dir}: debootstrap ${SUITE} from ${mirror} with ${IMAGE_PACKAGES.join(',')}`);
    const heartbeat = setInterval(() => log(`… ${Math.round((Date.now() - started) / 1000)} s`), 10_000);
    try {
      const argv = ['debootstrap', '--variant=minbase', `--include=${IMAGE_PACKAGES.join(',')}`];
      // the lock goes to debootstrap too: if this process dies mid-build, nobody else starts one
      // over the tree it is still writing
      await run(
        [...argv, SUITE, partial, mirror],
        log,
        [fd],
        /^I: (Retrieving|Validating|Extracting|Unpacking|Configuring) /,
      );
    } finally {
      clearInterval(heartbeat);
    }
    const debs = join(partial, 'var/cache/apt/archives');
    for (const f of await readdir(debs)) if (f.endsWith('.deb')) await rm(join(debs, f)); // ~80 MB
    // debootstrap copies the build host's name; without it a container is named after its machine
    await rm(join(partial, 'etc/hostname'), { force: true });
    await writeFile(
      join(partial, 'etc/hosts'),
      '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n',
    );
    const ms = Date.now() - started;
    const marker = { recipe: RECIPE, suite: SUITE, packages: IMAGE_PACKAGES, mirror, ms };
    await writeFile(join(partial, MARKER), JSON.stringify(marker));
    await removeTree(dir, log); // an image of other packages (only with FAULTLINE_TEST_IMAGE_DIR)
    await rename(partial, dir);
    log(`built ${dir} in ${(ms / 1000).toFixed(1)} s`);
    return dir;
  } finally {
    await lock.close();
  }
}
