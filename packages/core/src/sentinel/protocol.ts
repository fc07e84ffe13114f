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

export function encodeCommand(c: SentinelCommand): string {
  return c.type === 'pack' ? `pack ${c.name}\n` : 'exit\n';
}

export function decodeCommand(line: string): SentinelCommand | undefined {
  if (line === 'exit') return { type: 'exit' };
  if (line.startsWith('pack ')) return { type: 'pack', name: line.slice(5) };
  return undefined;
}
