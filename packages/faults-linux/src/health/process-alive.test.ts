import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { runProbe } from '@faultline/core/testing';
import { describe, expect, it } from 'vitest';
import { processAlive, processAliveProbe } from './process-alive.js';

describe.concurrent('probe/process-alive', () => {
  const start = (title: string) =>
    spawn(process.execPath, ['-e', `process.title=${JSON.stringify(title)};setTimeout(()=>{},30000)`], {
      stdio: 'ignore',
    });
  const exited = (c: ChildProcess) => new Promise((r) => c.once('exit', r));
  /** Waits (bounded) until the child has set its title: node takes a while to start on a busy machine. */
  const titled = async (c: ChildProcess, title: string) => {
    for (let i = 0; i < 100; i++) {
      try {
        if (readFileSync(`/proc/${c.pid}/comm`, 'utf8').trim() === title.slice(0, 15)) return;
      } catch {
        // not there yet
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`child ${c.pid} never took the title ${title}`);
  };

  it('by pid: alive, then gone once killed', async () => {
    const child = start('fld-alive-pid');
    try {
      await titled(child, 'fld-alive-pid');
      const r = await runProbe(processAliveProbe, { pid: child.pid });
      expect(r.passed, r.message).toBe(true);
      const wrongName = await runProbe(processAliveProbe, { pid: child.pid, name: 'fld-other' });
      expect(wrongName.passed).toBe(false);
    } finally {
      child.kill('SIGKILL');
      await exited(child);
    }
    expect((await runProbe(processAliveProbe, { pid: child.pid })).passed).toBe(false);
  });

  it('by name (comm), and not once it is gone', async () => {
    const name = `fld-alive-${process.pid}`.slice(0, 15);
    const child = start(name);
    try {
      await titled(child, name);
      const r = await runProbe(processAliveProbe, { name });
      expect(r.passed, r.message).toBe(true);
      expect(r.value).toEqual({ pids: [child.pid] });
    } finally {
      child.kill('SIGKILL');
      await exited(child);
    }
    expect((await runProbe(processAliveProbe, { name })).passed).toBe(false);
  });

  it('a zombie is not alive', async () => {
    // sh starts a short child, then execs a sleep that never reaps it: the child, exiting after the
    // exec, stays a zombie (a child that exited before the exec could have been reaped by sh itself)
    const parent = spawn('sh', ['-c', 'sleep 0.3 & echo $!; exec sleep 5'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    try {
      const zombie = await new Promise<number>((r) =>
        parent.stdout!.once('data', (b: Buffer) => r(Number(b.toString().trim()))),
      );
      const state = () => readFileSync(`/proc/${zombie}/stat`, 'utf8').split(') ')[1]?.[0];
      for (let i = 0; i < 100 && state() !== 'Z'; i++) await new Promise((r) => setTimeout(r, 20));
      expect(state(), 'the child became a zombie').toBe('Z');
      const out = await runProbe(processAliveProbe, { pid: zombie });
      expect(out.passed).toBe(false);
      expect(out.message).toContain('zombie');
    } finally {
      parent.kill('SIGKILL');
      await exited(parent);
    }
  });
});

describe('processAlive()', () => {
  it('is an Edge spec named after its target, validated where it is written', () => {
    expect(processAlive({ name: 'nginx' })).toEqual({
      name: 'process-alive nginx',
      kind: 'probe/process-alive',
      mode: 'Edge',
      tunables: { name: 'nginx' },
    });
    expect(processAlive({ pid: 42 }).name).toBe('process-alive 42');
    expect(() => processAlive({})).toThrow(/FL_TUNABLES/);
  });
});
