import type { ProbeSpec } from '@faultline/core';
import * as v from 'valibot';
import type { EntriesOutput } from '../entries.js';
import { infraResponsive } from '../health/infra-responsive.js';
import { processAlive } from '../health/process-alive.js';

/** A worker count: 0 means one per CPU the fault may use. */
export const workersSchema = (dflt: number) =>
  v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(256)), dflt);

/** A cpu list as the kernel writes it: `0-3,6`. */
export const cpuListSchema = v.pipe(
  v.string(),
  v.regex(/^\d{1,4}(-\d{1,4})?(,\d{1,4}(-\d{1,4})?)*$/, 'a cpu list looks like 0-3,6'),
);

/** The cpus a list names, in order (`0-2,5` → 0 1 2 5). */
export function expandCpuList(list: string): number[] {
  const out = new Set<number>();
  for (const part of list.split(',')) {
    const [a, b] = part.split('-').map(Number);
    for (let c = a!; c <= (b ?? a!); c++) out.add(c);
  }
  return [...out];
}

/** Signals a process fault may send, by name. */
export const SIGNALS = [
  'SIGTERM',
  'SIGKILL',
  'SIGINT',
  'SIGHUP',
  'SIGQUIT',
  'SIGUSR1',
  'SIGUSR2',
  'SIGABRT',
] as const;

/** A process name as /proc/PID/comm holds it: 1-15 chars, no slash. */
export const processNameSchema = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z0-9._:@+-][A-Za-z0-9._:@+ -]{0,14}$/, 'a process name is 1-15 chars as in /proc/PID/comm'),
);

/**
 * A regular expression matched against the command line; must compile, and must not match an
 * empty command line (`.*`, `x?`): such a pattern matches every process on the host.
 */
export const patternSchema = v.pipe(
  v.string(),
  v.minLength(1),
  v.maxLength(256),
  v.check((s) => {
    try {
      new RegExp(s);
      return true;
    } catch {
      return false;
    }
  }, 'pattern is not a valid regular expression'),
  v.check((s) => {
    try {
      return !new RegExp(s).test('');
    } catch {
      return true; // not a regular expression: the check above says so
    }
  }, 'pattern matches the empty string, so it matches every process: anchor it to what the target runs'),
);

/** Target tunables shared by process-kill and process-pause. */
export const targetTunables = {
  pids: v.optional(v.pipe(v.array(v.pipe(v.number(), v.integer(), v.minValue(2))), v.minLength(1))),
  names: v.optional(v.pipe(v.array(processNameSchema), v.minLength(1))),
  pattern: v.optional(patternSchema),
  /**
   * The most processes the selector may match (default: a pid list's length, else 1); more is
   * refused before anything is signalled. Raise it on purpose to hit every worker of a service.
   */
  maxTargets: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1000))),
};

/** How process faults pick their targets: one of pids, names, pattern (checked by the schema). */
export type TargetSelector = EntriesOutput<typeof targetTunables>;

/** Pipe step: exactly one of pids, names, pattern. */
export function oneTargetCheck<T extends TargetSelector>() {
  return v.check<T, string>(
    (t) => [t.pids, t.names, t.pattern].filter((x) => x !== undefined).length === 1,
    'name the targets with exactly one of pids, names or pattern',
  );
}

/**
 * The default health check of a process fault: is the (first) named process, or the first pid,
 * alive again afterwards (`probe/process-alive`); for a pattern, is the infrastructure responsive.
 */
export function targetHealthCheck(t: TargetSelector): ProbeSpec {
  const [name] = t.names ?? [];
  if (name !== undefined) return processAlive({ name });
  const [pid] = t.pids ?? [];
  return pid === undefined ? infraResponsive() : processAlive({ pid });
}

/** Pipe step: exactly one of size or percent (fills, memory stress). */
export function exactlyOneSize<T extends { size?: unknown; percent?: unknown }>() {
  return v.check<T, string>(
    (t) => (t.size === undefined) !== (t.percent === undefined),
    'give exactly one of size or percent',
  );
}
