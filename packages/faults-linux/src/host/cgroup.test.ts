import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { until } from '../../test/helpers.js';
import { assertOwnGroupDir, createGroup, destroyGroup, detectLayout, groupPids } from './cgroup.js';
import { launchInGroup } from './launch.js';
import { readComm } from './proc.js';

const HYBRID = `tmpfs /sys/fs/cgroup tmpfs rw 0 0
cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,nosuid,cpu,cpuacct 0 0
cgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0
cgroup /sys/fs/cgroup/freezer cgroup rw,freezer 0 0
cgroup2 /sys/fs/cgroup/unified cgroup2 rw,nsdelegate 0 0`;
const PURE_V2 = 'cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime,nsdelegate 0 0';

describe('cgroup layout', () => {
  it('tells hybrid, pure v2 and v1 apart from /proc/self/mounts', () => {
    const h = detectLayout(HYBRID);
    expect(h.mode).toBe('hybrid');
    expect(h.v2).toBe('/sys/fs/cgroup/unified');
    expect(h.v1).toMatchObject({
      cpu: '/sys/fs/cgroup/cpu,cpuacct',
      cpuacct: '/sys/fs/cgroup/cpu,cpuacct',
      memory: '/sys/fs/cgroup/memory',
    });
    const v2 = detectLayout(PURE_V2);
    expect(v2.mode).toBe('v2');
    expect(v2.v2).toBe('/sys/fs/cgroup');
    expect(v2.v1).toEqual({});
    expect(
      detectLayout(
        HYBRID.split('\n')
          .filter((l) => !l.includes('cgroup2'))
          .join('\n'),
      ).mode,
    ).toBe('v1');
  });

  it('refuses to touch a cgroup that is not faultline_* at a hierarchy root', () => {
    const l = detectLayout();
    expect(() => assertOwnGroupDir('/sys/fs/cgroup/memory/process_api', l)).toThrow(/FL_REVERT/);
    expect(() => assertOwnGroupDir('/sys/fs/cgroup/memory/x/faultline_a', l)).toThrow(/FL_REVERT/);
  });

  // this host is hybrid: also prove the v1-only path (freeze, SIGKILL each, thaw) for real
  it.each([
    ['with cgroup.kill (v2)', (l: ReturnType<typeof detectLayout>) => l],
    [
      'with the v1 freezer only',
      (l: ReturnType<typeof detectLayout>) => ({ ...l, v2: undefined, mode: 'v1' as const }),
    ],
  ])('a wrapper joins before exec, and destroy kills every worker %s', async (_, shape) => {
    const base = detectLayout();
    const layout = shape(base) as ReturnType<typeof detectLayout>;
    if (layout.v2 === undefined) delete (layout as { v2?: string }).v2;
    const name = `faultline_flc${Math.random().toString(36).slice(2, 8)}_cg`;
    const g = createGroup(name, { tasks: 2 }, layout);
    try {
      const p = await launchInGroup(
        g.procsFiles,
        g.dirs,
        ['stress-ng', '--cpu', '2', '--cpu-load', '5', '--timeout', '20s', '--quiet'],
        { minProcs: 3 },
      );
      // the parent and every worker it forked are in every hierarchy of the group
      for (const d of g.dirs) expect(readFileSync(`${d}/cgroup.procs`, 'utf8')).toContain(String(p.pid));
      expect(
        await until(() => groupPids(g.dirs).filter((x) => readComm(x) === 'stress-ng-cpu').length === 2),
      ).toBe(true);
      const pids = groupPids(g.dirs);
      await destroyGroup(g.dirs, layout);
      expect(g.dirs.some((d) => existsSync(d))).toBe(false);
      expect(await until(() => pids.every((x) => readComm(x) === undefined))).toBe(true);
    } finally {
      await destroyGroup(g.dirs, base);
    }
  });

  it('a wrapper that cannot join fails the launch (exit 97) and nothing runs', async () => {
    await expect(launchInGroup(['/nonexistent/cgroup.procs'], [], ['sleep', '30'])).rejects.toMatchObject({
      code: 'FL_INJECT',
    });
  });
});
