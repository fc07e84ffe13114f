// A real systemd, booted in a throwaway container, for tests of what needs a service manager (PID 1 on
// this machine is not systemd). Each container is an overlay: the shared image (systemd-image.ts)
// read-only below, a per-container upper dir above, so the image is never modified and the upper dir
// is the container's disk: it survives a reboot, and goes at stop(). Test support only: never ships.
import { access, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ContainerFile, type ContainerUnit, populate } from './systemd-container-files.js';
import { Machine, type SystemdContainer } from './systemd-container-machine.js';
import { stateDir, sweepStale, track, writeState } from './systemd-container-state.js';
import { ensureImage } from './systemd-image.js';

export type { ExecOptions, ExecResult } from './nsenter-exec.js';
export type { ContainerFile, ContainerUnit } from './systemd-container-files.js';
export type { SystemdContainer } from './systemd-container-machine.js';
export { ensureImage, type ImageOptions } from './systemd-image.js';

/** A host path mounted into the container. */
export interface ContainerBind {
  source: string;
  target: string;
  readOnly?: boolean;
}

/** Options of {@link bootContainer}. */
export interface BootOptions {
  /** Part of the machine name (the host name inside): `fl-<name>-<random>`. */
  name?: string;
  /** The image directory; default {@link ensureImage}(). */
  image?: string;
  /** Join this network namespace (a name under /var/run/netns, or a path) instead of a private one. */
  networkNamespace?: string;
  binds?: ContainerBind[];
  units?: ContainerUnit[];
  files?: ContainerFile[];
  /** Bound on each boot until `systemctl is-system-running` says running/degraded; default 60 s. */
  bootTimeoutMs?: number;
  /** Progress lines (boot, reboot and stop times); default console.log. */
  log?: (line: string) => void;
}

/** nspawn takes `source:target`; a colon inside a path is escaped with a backslash. */
const bindPath = (path: string) => path.replace(/[\\:]/g, (c) => `\\${c}`);

/**
 * Boots a throwaway container from the image with --private-network (or `networkNamespace`), the
 * given binds, units and files, and resolves once its systemd is running. Call stop() in afterAll;
 * containers of test processes that died without it are swept at the next boot.
 */
export async function bootContainer(opts: BootOptions = {}): Promise<SystemdContainer> {
  const log = opts.log ?? ((l: string) => console.log(`[systemd-container] ${l}`));
  sweepStale(log);
  const image = opts.image ?? (await ensureImage());
  if (/[,:]/.test(image))
    throw new Error(`the image path cannot hold ',' or ':' (overlay options): ${image}`);
  const name = `fl-${opts.name ? `${opts.name}-` : ''}${Math.random().toString(36).slice(2, 8)}`;
  const dir = stateDir(name);
  await mkdir(dir, { mode: 0o700 });
  writeState(dir);
  const [upper, work, root] = ['upper', 'work', 'root'].map((d) => join(dir, d)) as [string, string, string];
  for (const d of [upper, work, root]) await mkdir(d);
  await populate(image, upper, opts.units ?? [], opts.files ?? []);
  const ns = opts.networkNamespace;
  const args = [
    ...[image, upper, work, root],
    ...['-b', '--register=no', '--keep-unit', '--console=read-only', '-q', `--machine=${name}`],
    ns ? `--network-namespace-path=${ns.startsWith('/') ? ns : `/var/run/netns/${ns}`}` : '--private-network',
    ...(opts.binds ?? []).map(
      (b) => `--bind${b.readOnly ? '-ro' : ''}=${bindPath(b.source)}:${bindPath(b.target)}`,
    ),
  ];
  const machine = new Machine(name, dir, args, opts.bootTimeoutMs ?? 60_000, log);
  track(dir, () => machine.nspawnPid);
  try {
    await machine.boot();
  } catch (e) {
    await machine.stop();
    throw e;
  }
  return machine;
}

const onPath = (cmd: string) =>
  Promise.any((process.env.PATH ?? '/usr/sbin:/usr/bin').split(':').map((d) => access(join(d, cmd)))).then(
    () => true,
    () => false,
  );

/** Whether containers can boot here, and if not why. */
export interface SystemdContainerSupport {
  available: boolean;
  reason?: string;
}

let support: Promise<SystemdContainerSupport> | undefined;

/**
 * Whether containers can boot here: root, the tools, overlayfs, the image (built now if missing) and
 * one real boot. Memoised. Use with `describe.skipIf(!s.available)` and print `s.reason`.
 */
export function systemdContainerSupport(): Promise<SystemdContainerSupport> {
  support ??= (async () => {
    if (process.getuid?.() !== 0) return { available: false, reason: 'needs root (mount, nsenter, nspawn)' };
    const tools = ['debootstrap', 'systemd-nspawn', 'nsenter', 'unshare', 'flock', 'pgrep'];
    const missing = (await Promise.all(tools.map(async (t) => ((await onPath(t)) ? [] : [t])))).flat();
    if (missing.length)
      return { available: false, reason: `${missing.join(', ')} not found: run scripts/setup.sh` };
    if (!/\toverlay\n/.test(await readFile('/proc/filesystems', 'utf8'))) {
      return { available: false, reason: 'the kernel has no overlayfs' };
    }
    try {
      await ensureImage();
    } catch (e) {
      return { available: false, reason: `the image could not be built (offline?): ${(e as Error).message}` };
    }
    try {
      await (await bootContainer({ name: 'probe', log: () => {} })).stop();
    } catch (e) {
      return { available: false, reason: `a container did not boot: ${(e as Error).message}` };
    }
    return { available: true };
  })();
  return support;
}
