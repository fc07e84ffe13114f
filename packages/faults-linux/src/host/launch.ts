import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { FaultlineError } from '@faultline/core';
import { quoteArg } from '../exec.js';
import { groupPids } from './cgroup.js';
import { type ProcessRef, readComm, refOf } from './proc.js';

/**
 * The wrapper that joins the cgroups BEFORE exec: moving a parent later would not move the workers it
 * already forked. Node cannot exec, and cgexec (cgroup-tools) is not on every host, so this fixed
 * script text runs under /bin/sh. No tunable ever reaches the script text: the procs files and the
 * command are positional parameters ("$1" ... "$@"), never parsed as shell code.
 */
export const JOIN_AND_EXEC =
  'while [ "$1" != -- ]; do echo $$ > "$1" || exit 97; shift; done; shift; exec "$@"';

/** What {@link launchInGroup} started: the process (pid + start time) and the argv, for receipts. */
export interface Launched extends ProcessRef {
  command: string;
}

/**
 * Starts `argv` detached (its own session and process group, so a group kill can never hit the
 * caller) inside the group, and waits until it has exec'd and forked at least `minProcs` processes.
 */
export async function launchInGroup(
  procsFiles: readonly string[],
  dirs: readonly string[],
  argv: readonly string[],
  opts: { minProcs?: number; signal?: AbortSignal } = {},
): Promise<Launched> {
  const [file] = argv;
  if (!file) throw new FaultlineError('FL_INTERNAL', 'launchInGroup needs a command');
  const child = spawn('/bin/sh', ['-c', JOIN_AND_EXEC, 'faultline-join', ...procsFiles, '--', ...argv], {
    detached: true,
    stdio: 'ignore',
    env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' },
  });
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  child.on('exit', (code, signal) => (exit = { code, signal }));
  const spawnError = new Promise<Error>((resolve) => child.on('error', resolve));
  child.unref();
  const pid = child.pid;
  const command = argv.map(quoteArg).join(' ');
  if (pid === undefined)
    throw new FaultlineError('FL_INJECT', `could not start ${command}: ${(await spawnError).message}`);
  const ref = refOf(pid);
  if (!ref) throw new FaultlineError('FL_INJECT', `${command} exited at once`);
  const want = opts.minProcs ?? 1;
  const base = file.split('/').pop()!.slice(0, 15);
  for (let i = 0; i < 250; i++) {
    if (exit) {
      const why = exit.code === 97 ? 'could not join its cgroup' : `exited with ${exit.code ?? exit.signal}`;
      throw new FaultlineError('FL_INJECT', `${command} ${why} before it started working`);
    }
    if (opts.signal?.aborted) throw new FaultlineError('FL_ABORTED', `aborted while starting ${command}`);
    if (readComm(pid) === base && groupPids(dirs).length >= want) return { ...ref, comm: base, command };
    await sleep(20);
  }
  throw new FaultlineError('FL_INJECT', `${command} did not start its workers within 5 s`);
}
