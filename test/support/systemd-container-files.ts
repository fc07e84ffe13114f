// Units and files put into a container before it boots. They are written into the overlay's upper
// dir while nothing has it mounted (writing there under a live overlay is undefined behaviour), so the
// image below stays untouched and the container sees them from its first instant.
import { chmod, chown, lstat, mkdir, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';

/** A file to create in the container before boot. */
export interface ContainerFile {
  /** Absolute path inside the container. */
  path: string;
  content: string | Uint8Array;
  /** Default 0o644. */
  mode?: number;
}

/** A unit to install in the container's /etc/systemd/system before boot. */
export interface ContainerUnit {
  /** File name, e.g. `probe.service`. */
  name: string;
  content: string;
  /** Start it at boot: a symlink in multi-user.target.wants/. Default false. */
  enable?: boolean;
}

/**
 * Creates the parents of `path` in `upper`, each with the mode and owner of the image's directory of
 * the same name: in an overlay the upper copy's attributes win, so a 0755 /root or /tmp would change
 * the container.
 */
async function mkdirLike(image: string, upper: string, path: string): Promise<void> {
  let rel = '';
  for (const part of path.split('/').filter(Boolean)) {
    rel = posix.join(rel, part);
    const there = await lstat(join(upper, rel)).catch(() => undefined);
    if (there) continue;
    const like = await lstat(join(image, rel)).catch(() => undefined);
    await mkdir(join(upper, rel));
    await chmod(join(upper, rel), like?.isDirectory() ? like.mode & 0o7777 : 0o755);
    if (like?.isDirectory()) await chown(join(upper, rel), like.uid, like.gid);
  }
}

async function put(image: string, upper: string, file: ContainerFile): Promise<void> {
  if (!file.path.startsWith('/') || file.path.split('/').includes('..')) {
    throw new Error(`container file paths must be absolute and without '..': ${file.path}`);
  }
  await mkdirLike(image, upper, dirname(file.path));
  const mode = file.mode ?? 0o644;
  await writeFile(join(upper, file.path), file.content, { mode });
  await chmod(join(upper, file.path), mode); // writeFile's mode is filtered by the umask
}

/** Writes `units` and `files` into the upper dir `upper` of an overlay over `image`. */
export async function populate(
  image: string,
  upper: string,
  units: ContainerUnit[],
  files: ContainerFile[],
): Promise<void> {
  for (const f of files) await put(image, upper, f);
  for (const u of units) {
    const path = `/etc/systemd/system/${u.name}`;
    await put(image, upper, { path, content: u.content });
    if (u.enable) {
      const wants = '/etc/systemd/system/multi-user.target.wants';
      await mkdirLike(image, upper, wants);
      await symlink(path, join(upper, wants, u.name));
    }
  }
}
