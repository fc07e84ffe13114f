// The Node default for starting the sentinel. Kept out of the runtime module so core's runtime never
// imports child_process; the runtime loads this file only when a sentinel is wanted.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  decodeReply,
  encodeCommand,
  lineSplitter,
  type SentinelCommand,
  type SentinelConfig,
} from './protocol.js';

/** A running sentinel, from the host's side. */
export interface SentinelHandle {
  readonly pid: number | undefined;
  send(c: SentinelCommand): void;
  /** Tells it nothing is pending and lets it go. */
  release(): void;
  /**
   * Resolves true once the sentinel has imported this pack (announced with `send({ type: 'pack' })`),
   * false when it could not or died. Launchers that cannot tell leave it out: the host then does not wait.
   */
  loaded?(pack: string): Promise<boolean>;
}

/** Starts sentinels. Replaceable (tests, other platforms). */
export type SentinelLauncher = (config: SentinelConfig) => SentinelHandle;

/**
 * Spawns `node sentinel-main` detached (its own session, so a terminal's Ctrl-C for the host does
 * not reach it), with a pipe on its stdin that is its only tie to the host, a pipe on its stdout for
 * its `loaded` replies, both unref'd so the sentinel never keeps the host alive.
 */
export const spawnSentinel: SentinelLauncher = (config) => {
  const here = import.meta.url;
  const fromSource = here.endsWith('.ts');
  const main = fileURLToPath(new URL(fromSource ? './sentinel-main.ts' : './sentinel-main.js', here));
  const args = fromSource ? ['--conditions=@faultline/source', '--import', 'tsx', main] : [main];
  const child = spawn(process.execPath, [...args, JSON.stringify(config)], {
    detached: true,
    stdio: ['pipe', 'pipe', 'ignore'],
    cwd: process.cwd(),
  });
  const replies = new Map<string, { promise: Promise<boolean>; resolve: (ok: boolean) => void }>();
  const reply = (name: string) => {
    let r = replies.get(name);
    if (!r) {
      let resolve!: (ok: boolean) => void;
      const promise = new Promise<boolean>((res) => (resolve = res));
      r = { promise, resolve };
      replies.set(name, r);
    }
    return r;
  };
  let dead = false;
  const died = () => {
    dead = true;
    for (const r of replies.values()) r.resolve(false);
  };
  child.on('error', died);
  child.on('exit', died);
  child.stdin!.on('error', () => {});
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('error', () => {});
  child.stdout!.on(
    'data',
    lineSplitter((line) => {
      const r = decodeReply(line);
      if (r) reply(r.name).resolve(r.type === 'loaded');
    }),
  );
  child.unref();
  (child.stdin as unknown as { unref?: () => void }).unref?.();
  (child.stdout as unknown as { unref?: () => void }).unref?.();
  let open = true;
  return {
    pid: child.pid,
    send(c) {
      if (open) child.stdin!.write(encodeCommand(c));
    },
    release() {
      if (!open) return;
      open = false;
      child.stdin!.end(encodeCommand({ type: 'exit' }));
    },
    loaded(pack) {
      const r = reply(pack);
      if (dead) r.resolve(false);
      return r.promise;
    },
  };
};
