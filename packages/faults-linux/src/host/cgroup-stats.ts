import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// What a stress group consumes, read from the cgroup files of either version (tests and the bench).

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Bytes of memory the group holds (v2 memory.current, else v1 memory.usage_in_bytes). */
export function memoryUsage(dirs: readonly string[]): number | undefined {
  for (const d of dirs) {
    const v = readText(join(d, 'memory.current')) ?? readText(join(d, 'memory.usage_in_bytes'));
    if (v !== undefined) return Number(v);
  }
  return undefined;
}

/** CPU time the group used, in ns (v1 cpuacct.usage, else v2 cpu.stat usage_usec). */
export function cpuUsageNs(dirs: readonly string[]): number | undefined {
  for (const d of dirs) {
    const v1 = readText(join(d, 'cpuacct.usage'));
    if (v1 !== undefined) return Number(v1);
  }
  for (const d of dirs) {
    const m = readText(join(d, 'cpu.stat'))?.match(/^usage_usec (\d+)/m);
    if (m) return Number(m[1]) * 1000;
  }
  return undefined;
}
