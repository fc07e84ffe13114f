import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isFaultlineError } from '@faultline/core';
import { runProbe } from '@faultline/core/testing';
import { describe, expect, it } from 'vitest';
import { cmdProbe } from './cmd.js';

/** Pids whose command line is exactly `argv` (how the tests find a leftover child). */
function pidsRunning(argv: string[]): number[] {
  const want = `${argv.join('\0')}\0`;
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        return readFileSync(`/proc/${e}/cmdline`, 'utf8') === want;
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe.concurrent('probe/cmd', () => {
  it('compares trimmed stdout with each string criterion', async () => {
    const out = (criteria: string, value: unknown) =>
      runProbe(cmdProbe, {
        command: ['printf', '  hello world\\n\\n'],
        stdout: { type: 'string', criteria, value },
      });
    expect((await out('equal', 'hello world')).passed).toBe(true);
    expect((await out('equal', '  hello world')).passed).toBe(false);
    expect((await out('contains', 'o w')).passed).toBe(true);
    expect((await out('notEqual', 'hello world')).passed).toBe(false);
    expect((await out('matches', '^hel+o')).passed).toBe(true);
    expect((await out('notMatches', 'world$')).passed).toBe(false);
    expect((await out('oneOf', ['x', 'hello world'])).passed).toBe(true);
    expect((await out('oneOf', ['x'])).passed).toBe(false);
  });

  it('requires exit 0 by default and compares the exit code when asked', async () => {
    const exit3 = { command: ['sh', '-c', 'exit 3'] };
    const plain = await runProbe(cmdProbe, exit3);
    expect(plain.passed).toBe(false);
    expect(plain.value).toMatchObject({ exitCode: 3 });
    expect(
      (await runProbe(cmdProbe, { ...exit3, exitCode: { type: 'int', criteria: '==', value: 3 } })).passed,
    ).toBe(true);
    expect(
      (await runProbe(cmdProbe, { ...exit3, exitCode: { type: 'int', criteria: 'between', value: [1, 2] } }))
        .passed,
    ).toBe(false);
    expect((await runProbe(cmdProbe, { command: ['true'] })).passed).toBe(true);
  });

  it('never gives argv to a shell; a shell only with shell: true', async () => {
    const argv = await runProbe(cmdProbe, {
      command: ['echo', '$(id -u) | x'],
      stdout: { type: 'string', criteria: 'equal', value: '$(id -u) | x' },
    });
    expect(argv.passed, argv.message).toBe(true);
    const sh = await runProbe(cmdProbe, {
      command: 'echo abc | tr a z',
      shell: true,
      stdout: { type: 'string', criteria: 'equal', value: 'zbc' },
    });
    expect(sh.passed, sh.message).toBe(true);
    const reject = (t: unknown) =>
      runProbe(cmdProbe, t).then(
        () => 'ran',
        (e) => isFaultlineError(e, 'FL_TUNABLES'),
      );
    expect(await reject({ command: 'echo hi' })).toBe(true);
    expect(await reject({ command: ['echo', 'hi'], shell: true })).toBe(true);
    expect(await reject({ command: [] })).toBe(true);
  });

  it('passes env and cwd', async () => {
    const r = await runProbe(cmdProbe, {
      command: ['sh', '-c', 'echo "$FLD_VAR $(pwd)"'],
      env: { FLD_VAR: 'set' },
      cwd: tmpdir(),
      stdout: { type: 'string', criteria: 'equal', value: `set ${tmpdir()}` },
    });
    expect(r.passed, r.message).toBe(true);
  });

  it('kills a hung command and what it forked at the probe timeout', async () => {
    const marker = ['sleep', '31.4159'];
    const r = await runProbe(cmdProbe, { command: `${marker.join(' ')}; echo never`, shell: true }, 400);
    expect(r.passed).toBe(false);
    expect(r.message).toContain('did not finish');
    expect(r.ms).toBeLessThan(400 + 1500); // the command sleeps 31 s: the slack is for a busy CI loop
    // the shell's child got the group kill too
    await new Promise((res) => setTimeout(res, 200));
    expect(pidsRunning(marker)).toEqual([]);
  });

  it('honours its own timeout below the attempt timeout', async () => {
    const r = await runProbe(cmdProbe, { command: ['sleep', '5'], timeout: '200ms' }, 5000);
    expect(r.passed).toBe(false);
    expect(r.message).toContain('timeout 200ms');
    expect(r.ms).toBeLessThan(2000); // sleep 5 and a 5 s attempt timeout: only the 200 ms timeout ends it sooner
  });

  it('reports a program that does not exist', async () => {
    const r = await runProbe(cmdProbe, { command: ['fld-no-such-program'] });
    expect(r.passed).toBe(false);
    expect(r.message).toContain('could not run');
  });

  it('runs inside a named network namespace', async () => {
    const ns = `fld_cmd_${process.pid}`;
    execFileSync('ip', ['netns', 'add', ns]);
    try {
      const r = await runProbe(cmdProbe, {
        command: ['ip', '-o', 'link', 'show'],
        namespace: ns,
        stdout: { type: 'string', criteria: 'matches', value: '^1: lo:[^\\n]*$' },
      });
      expect(r.passed, r.message).toBe(true);
      // the same command outside sees the host's interfaces too (the test would pass vacuously otherwise)
      const outside = await runProbe(cmdProbe, {
        command: ['ip', '-o', 'link', 'show'],
        stdout: { type: 'string', criteria: 'matches', value: '^1: lo:[^\\n]*$' },
      });
      expect(outside.passed).toBe(false);
      const missing = await runProbe(cmdProbe, { command: ['true'], namespace: `${ns}_none` });
      expect(missing.passed).toBe(false);
    } finally {
      execFileSync('ip', ['netns', 'del', ns]);
    }
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(ns);
  });
});
