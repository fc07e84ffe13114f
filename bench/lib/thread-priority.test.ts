import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { currentThreadId, makeThreadRealtime } from './thread-priority.js';

/** The scheduling policy of a task: /proc/PID/sched "policy" (0 OTHER, 1 FIFO). */
const policy = (pid: number) =>
  Number(/^policy\s*:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/sched`, 'utf8'))?.[1]);

describe('makeThreadRealtime', () => {
  it('makes a task SCHED_FIFO and restores it', async () => {
    // a child process, so the test runner's own threads are left alone
    const child = spawn('sleep', ['10'], { stdio: 'ignore' });
    try {
      expect(policy(child.pid!)).toBe(0);
      const change = await makeThreadRealtime({ tid: child.pid!, priority: 5 });
      expect(change.applied, change.reason).toBe(true);
      expect(policy(child.pid!)).toBe(1);
      await change.restore();
      expect(policy(child.pid!)).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('says why when it cannot, and knows the calling thread', async () => {
    const r = await makeThreadRealtime({ tid: 2 ** 22 + 12345 });
    expect(r.applied).toBe(false);
    expect(r.reason).toBeTruthy();
    expect(currentThreadId()).toBeGreaterThan(0);
  });
});
