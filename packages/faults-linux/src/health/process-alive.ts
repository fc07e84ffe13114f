import { defineProbe, type ProbeSpec } from '@faultline/core';
import { readProcStat } from '@faultline/core/internal';
import * as v from 'valibot';
import { listPids, readComm, refOf } from '../host/proc.js';
import { healthProbeSpec } from './probe-spec.js';

/** Tunables of `probe/process-alive` (the process faults' health checks emit exactly these). */
export const processAliveTunables = v.pipe(
  v.object({
    pid: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
    /** A process name as in /proc/PID/comm (the kernel keeps 15 characters). */
    name: v.optional(
      v.pipe(
        v.string(),
        v.minLength(1),
        v.maxLength(64),
        v.regex(/^[^/\n]+$/, 'a process name has no / or newline'),
      ),
    ),
  }),
  v.check((t) => t.pid !== undefined || t.name !== undefined, 'process-alive needs a pid or a name'),
);

/** Pids whose comm is `name` (compared on the kernel's 15 characters), zombies left out. */
function pidsNamed(name: string): number[] {
  const want = name.slice(0, 15);
  return listPids()
    .filter((pid) => readComm(pid) === want && refOf(pid) !== undefined)
    .sort((a, b) => a - b);
}

/** `probe/process-alive`: the pid exists and is not a zombie / some process has that name. */
export const processAliveProbe = defineProbe({
  kind: 'probe/process-alive',
  summary:
    'A process is alive: the pid exists and is not a zombie, or a process with that name (comm) exists.',
  tunables: processAliveTunables,
  async run(ctx) {
    const { pid, name } = ctx.tunables;
    if (pid !== undefined) {
      const stat = readProcStat(pid);
      if (!stat) return { passed: false, message: `no process ${pid}` };
      if (stat.state === 'Z')
        return {
          passed: false,
          value: { pid, state: 'Z' },
          message: `process ${pid} is a zombie (exited, not yet reaped)`,
        };
      if (name !== undefined) {
        const comm = readComm(pid) ?? '(gone)';
        if (comm !== name.slice(0, 15))
          return {
            passed: false,
            value: { pid, comm },
            message: `process ${pid} is ${comm}, not ${name} (the pid was reused?)`,
          };
      }
      return {
        passed: true,
        value: { pid, state: stat.state },
        message: `process ${pid} is alive (state ${stat.state})`,
      };
    }
    const pids = pidsNamed(name!);
    return {
      passed: pids.length > 0,
      value: { pids: pids.slice(0, 50) },
      message: pids.length
        ? `${pids.length} process(es) named ${name}: ${pids.slice(0, 10).join(', ')}`
        : `no live process named ${name}`,
    };
  },
});

/** A `probe/process-alive` spec (Edge mode): the process faults' health check, or a probe of your own. */
export function processAlive(t: v.InferInput<typeof processAliveTunables>): ProbeSpec {
  return healthProbeSpec(processAliveProbe, `process-alive ${t.name ?? t.pid}`, t);
}
