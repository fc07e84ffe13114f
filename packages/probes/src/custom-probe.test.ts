import { execFileSync } from 'node:child_process';
import { isFaultlineError } from '@faultline/core';
import { describe, expect, it } from 'vitest';
import { main } from '../examples/custom-probe.js';

describe('examples/custom-probe.ts', () => {
  it('registers a custom kind beside the pack and runs it against the real file system', async () => {
    const { kinds, outcome } = await main({ path: '/' });
    expect(kinds).toContain('acme/disk-free');
    expect(kinds).toContain('probe/http');
    // compare with df's own figure for / (same statfs numbers: available / size)
    const [, size, , avail] = execFileSync('df', ['-P', '-B1', '/'], { encoding: 'utf8' })
      .trim()
      .split('\n')[1]!
      .split(/\s+/)
      .map(Number);
    expect(outcome.value).toBeCloseTo((avail! / size!) * 100, 0);
    expect(outcome.passed).toBe((outcome.value as number) >= 10);
    const impossible = await main({ path: '/', free: { type: 'float', criteria: '>', value: 100 } });
    expect(impossible.outcome.passed).toBe(false);
    expect(impossible.outcome.message).toContain('failed');
  });

  it('validates its tunables like any pack', async () => {
    const e = await main({ free: { type: 'float', criteria: 'about' as '>', value: 1 } }).catch(
      (x: unknown) => x,
    );
    expect(isFaultlineError(e, 'FL_TUNABLES')).toBe(true);
  });
});
