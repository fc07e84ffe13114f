import { describe, expect, it } from 'vitest';
import { pack, pathExists, touchFiles } from '../../test/pack.js';
import { isFaultlineError } from '../errors.js';
import { definePack } from '../model.js';
import { packContract, planHealthCheck } from './pack-contract.js';

packContract(pack, { samples: { 'test/touch-files': { dir: '/tmp' } } });

describe('planHealthCheck (what packContract asserts)', () => {
  it('plans the health check with the pack alone', () => {
    expect(planHealthCheck(pack, touchFiles, { dir: '/tmp' }).def).toBe(pathExists);
  });
  it('fails for a pack that leaves its health-check probe to another pack', () => {
    const alone = definePack({ name: 'faults-without-their-probe', faults: [touchFiles] });
    let err: unknown;
    try {
      planHealthCheck(alone, touchFiles, { dir: '/tmp' });
    } catch (e) {
      err = e;
    }
    expect(isFaultlineError(err, 'FL_UNKNOWN_KIND')).toBe(true);
    expect((err as Error).message).toContain("pack 'faults-without-their-probe' should provide it");
  });
  it('fails for sample tunables the fault refuses', () => {
    expect(() => planHealthCheck(pack, touchFiles, { dir: '/tmp', count: 0 })).toThrow(/FL_TUNABLES/);
  });
});
