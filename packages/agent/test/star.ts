// A star of network namespaces for fan-out: one control namespace, N leaves, each leaf joined to
// the control namespace by its own veth pair (a /30 of its own). Benches and tests only.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import pLimit from 'p-limit';

const exec = promisify(execFile);

/** One leaf: its namespace, its address, and the control side's address on the same link. */
export interface Leaf {
  ns: string;
  ip: string;
  controlIp: string;
  /** The leaf's end of its veth. */
  dev: string;
}

/** The star. */
export interface Star {
  control: string;
  leaves: Leaf[];
  /** Kills what runs inside and deletes every namespace (their veths go with them). */
  destroy(): Promise<void>;
}

/** Builds a star of `count` leaves (at most 16 000). `prefix`: 2-4 chars of a-z, kept short for IFNAMSIZ. */
export async function makeStar(o: { prefix: string; count: number }): Promise<Star> {
  if (!/^[a-z]{2,4}$/.test(o.prefix)) throw new Error('prefix: 2-4 chars of a-z');
  const rand = randomBytes(2).toString('hex');
  const x = 200 + (randomBytes(1)[0]! % 50);
  const control = `${o.prefix}-${rand}-c`;
  const leaves: Leaf[] = Array.from({ length: o.count }, (_, i) => {
    const base = 4 * i;
    const [b, c] = [Math.floor(base / 256), base % 256];
    return {
      ns: `${o.prefix}-${rand}-${i}`,
      controlIp: `10.${x}.${b}.${c + 1}`,
      ip: `10.${x}.${b}.${c + 2}`,
      dev: `${o.prefix}${rand}l${i}`,
    };
  });
  const star: Star = {
    control,
    leaves,
    async destroy() {
      const limit = pLimit(8);
      await Promise.all(
        [control, ...leaves.map((l) => l.ns)].map((ns) =>
          limit(async () => {
            const pids = await exec('ip', ['netns', 'pids', ns]).catch(() => ({ stdout: '' }));
            for (const pid of pids.stdout.split('\n').filter(Boolean)) {
              try {
                process.kill(Number(pid), 'SIGKILL');
              } catch {}
            }
            await exec('ip', ['netns', 'del', ns]).catch(() => {});
          }),
        ),
      );
    },
  };
  try {
    await exec('ip', ['netns', 'add', control]);
    await exec('ip', ['-n', control, 'link', 'set', 'lo', 'up']);
    const limit = pLimit(8);
    await Promise.all(
      leaves.map((l, i) =>
        limit(async () => {
          const peer = `${o.prefix}${rand}c${i}`;
          await exec('ip', ['netns', 'add', l.ns]);
          await exec('ip', [
            'link',
            'add',
            l.dev,
            'netns',
            l.ns,
            'type',
            'veth',
            'peer',
            'name',
            peer,
            'netns',
            control,
          ]);
          await exec('ip', ['-n', l.ns, 'addr', 'add', `${l.ip}/30`, 'dev', l.dev]);
          await exec('ip', ['-n', control, 'addr', 'add', `${l.controlIp}/30`, 'dev', peer]);
          for (const [ns, dev] of [
            [l.ns, l.dev],
            [l.ns, 'lo'],
            [control, peer],
          ] as const)
            await exec('ip', ['-n', ns, 'link', 'set', dev, 'up']);
        }),
      ),
    );
  } catch (e) {
    await star.destroy();
    throw e;
  }
  return star;
}
