import { defineProbe, durationSchema, type Json, parseDuration } from '@faultline/core';
import * as v from 'valibot';
import { runBounded } from './exec.js';
import { type Check, clip, judge, numberComparatorSchema, stringComparatorSchema } from './expect.js';
import { inNamespace, netnsSchema } from './netns.js';

/** Tunables of `probe/cmd`. */
export const cmdTunables = v.pipe(
  v.object({
    /** argv (`['curl', '-s', url]`); one string only with `shell: true`. */
    command: v.union([
      v.pipe(v.array(v.string()), v.minLength(1, 'command needs at least the program')),
      v.pipe(v.string(), v.minLength(1)),
    ]),
    /** Run `command` (a single string) with `/bin/sh -c`. Off unless asked: argv never meets a shell. */
    shell: v.optional(v.boolean(), false),
    /** Added to the probe process's environment. */
    env: v.optional(v.record(v.string(), v.string())),
    cwd: v.optional(v.string()),
    /** Bound on the command, below the attempt's timeout (which always applies). */
    timeout: v.optional(durationSchema()),
    /** Run inside this network namespace (`ip netns exec NAME`; needs root). */
    namespace: v.optional(netnsSchema),
    /** Comparator on stdout, trimmed. */
    stdout: v.optional(stringComparatorSchema),
    /** Comparator on the exit code; without one (and without `stdout`) the exit code must be 0. */
    exitCode: v.optional(numberComparatorSchema),
  }),
  v.check(
    (t) => (t.shell ? typeof t.command === 'string' : Array.isArray(t.command)),
    (i) =>
      (i.input as { shell?: boolean }).shell
        ? 'with shell: true, command is one string for /bin/sh -c'
        : 'command is an argv array (["curl", "-s", url]); a single string needs shell: true',
  ),
);

/** `probe/cmd`: runs a command; compares its trimmed stdout and its exit code. */
export const cmdProbe = defineProbe({
  kind: 'probe/cmd',
  summary: 'Runs a command (argv, or /bin/sh -c when asked) and compares its stdout and exit code.',
  tunables: cmdTunables,
  async run(ctx) {
    const t = ctx.tunables;
    const base = typeof t.command === 'string' ? ['/bin/sh', '-c', t.command] : t.command;
    const deadline =
      t.timeout === undefined
        ? ctx.signal
        : AbortSignal.any([ctx.signal, AbortSignal.timeout(parseDuration(t.timeout))]);
    const r = await runBounded(inNamespace(base, t.namespace), deadline, {
      ...(t.env ? { env: t.env } : {}),
      ...(t.cwd !== undefined ? { cwd: t.cwd } : {}),
    });
    const what = `${JSON.stringify(typeof t.command === 'string' ? t.command : t.command.join(' '))}${t.namespace ? ` in netns ${t.namespace}` : ''}`;
    if (r.timedOut) {
      const bound = ctx.signal.aborted ? `the probe timeout (${ctx.timeoutMs} ms)` : `timeout ${t.timeout}`;
      return {
        passed: false,
        value: { durationMs: r.durationMs },
        message: `${what} did not finish within ${bound}; killed`,
      };
    }
    const stdout = r.stdout.trim();
    const value: { [k: string]: Json } = {
      exitCode: r.exitCode ?? null,
      stdout: clip(stdout),
      stderr: clip(r.stderr.trim(), 200),
      durationMs: r.durationMs,
    };
    if (r.exitCode === undefined) return { passed: false, value, message: `${what}: ${r.error}` };
    const checks: Check[] = [];
    if (t.stdout) checks.push({ what: 'stdout', actual: stdout, comparator: t.stdout });
    if (t.exitCode || !t.stdout) {
      checks.push({
        what: 'exit code',
        actual: r.exitCode,
        comparator: t.exitCode ?? { type: 'int', criteria: '==', value: 0 },
      });
    }
    const verdict = judge(checks);
    return {
      passed: verdict.passed,
      value,
      message: `${what} exited ${r.exitCode} in ${r.durationMs} ms; ${verdict.message}`,
    };
  },
});
