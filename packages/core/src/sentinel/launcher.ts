// The Node default for starting the sentinel. Kept out of the runtime module so core's runtime never
// imports child_process; the runtime loads this file only when a sentinel is wanted.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { encodeCommand, type SentinelCommand, type SentinelConfig } from './protocol.js';

/** A running sentinel, from the host's side. */
export interface SentinelHandle {
  readonly pid: number | undefined;
  send(c: SentinelCommand): void;
  /** Tells it nothing is pending and lets it go. */
  release(): void;
}

/** Starts sentinels. Replaceable (tests, other platforms). */
export type SentinelLauncher = (config: SentinelConfig) => SentinelHandle;

/**
 * Spawns `node sentinel-main` detached (its own session, so a terminal's Ctrl-C for the host does
 * not reach it), with a pipe on its stdin that is its only tie to the host, and unref'd so it never
 * keeps the host alive.
 */
export const spawnSentinel: SentinelLauncher = (config) => {
  const here = import.meta.url;
  const fromSource = here.endsWith('.ts');
  const main = fileURLToPath(new URL(fromSource ? './sentinel-main.ts' : './sentinel-main.js', here));
  const args = fromSource ? ['--conditions=@faultline/source', '--import', 'tsx', main] : [main];
  const child = spawn(process.execPath, [...args, JSON.stringify(config)], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
    cwd: process.cwd(),
  });
  child.on('error', () => {});
  child.stdin!.on('error', () => {});
  child.unref();
  (child.stdin as unknown as { unref?: () => void }).unref?.();
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
  };
};
