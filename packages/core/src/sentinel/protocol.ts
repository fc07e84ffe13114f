import type { JournalLocator } from '../journal.js';
import type { RetryPolicy } from '../revert.js';

/** What the sentinel is started with (argv[2], JSON). */
export interface SentinelConfig {
  hostPid: number;
  hostStart: string;
  journal: JournalLocator;
  stateDir: string;
  retry: RetryPolicy;
  /** Where it appends one JSON line per thing it did. */
  logFile: string;
}

/**
 * Lines the host writes on the pipe: `pack <specifier>` (import it now, so a revert after a crash
 * doesn't wait for module loading) and `exit` (nothing is pending: stop). A pipe that closes without
 * `exit` means the host died.
 */
export type SentinelCommand = { type: 'pack'; name: string } | { type: 'exit' };

/**
 * Lines the sentinel writes back on its stdout: `loaded <specifier>` / `failed <specifier>` once a
 * pack's import settled. The host waits for them before its first inject, so a kill -9 at any moment
 * after that finds a sentinel with the code to revert already in memory.
 */
export type SentinelReply = { type: 'loaded' | 'failed'; name: string };

export function encodeCommand(c: SentinelCommand): string {
  return c.type === 'pack' ? `pack ${c.name}\n` : 'exit\n';
}

export function decodeCommand(line: string): SentinelCommand | undefined {
  if (line === 'exit') return { type: 'exit' };
  if (line.startsWith('pack ')) return { type: 'pack', name: line.slice(5) };
  return undefined;
}

export function encodeReply(r: SentinelReply): string {
  return `${r.type} ${r.name}\n`;
}

export function decodeReply(line: string): SentinelReply | undefined {
  const m = /^(loaded|failed) (.+)$/.exec(line);
  return m ? { type: m[1] as SentinelReply['type'], name: m[2]! } : undefined;
}

/** Splits a stream of chunks into lines and hands each complete one to `onLine`. */
export function lineSplitter(onLine: (line: string) => void): (chunk: string) => void {
  let buffer = '';
  return (chunk) => {
    buffer += chunk;
    for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
      onLine(buffer.slice(0, i));
      buffer = buffer.slice(i + 1);
    }
  };
}
