import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers.js';
import { touchFiles } from '../../test/pack.js';
import { objectName } from '../names.js';
import { STEP_ID } from '../spec.js';
import { injectContext, revertContext } from './inject-context.js';
import { sampleJournalEntry } from './journal-contract.js';

describe('injectContext / revertContext', () => {
  it('gives inject parsed tunables and the ids and object name a run would, and revert undoes it', async () => {
    const dir = await tempDir();
    const stateDir = await tempDir();
    const ctx = injectContext(touchFiles, { dir, count: 2 }, { stepId: 'touch', stateDir });
    expect(ctx.tunables).toEqual({ dir, count: 2, injectDelayMs: 0, revertDelayMs: 0 });
    expect(ctx).toMatchObject({ stepId: 'touch', iteration: 0, stateDir });
    expect(ctx.objectName).toBe(objectName(ctx.runId, 'touch', 0));
    expect(ctx.signal.aborted).toBe(false);

    const receipt = await touchFiles.inject(ctx);
    expect(existsSync(join(dir, ctx.objectName, 'f1'))).toBe(true);
    await touchFiles.revert(receipt, revertContext(ctx));
    expect(existsSync(join(dir, ctx.objectName))).toBe(false);
  });

  it('each context has its own run id, hence its own object names', () => {
    const a = injectContext(touchFiles, { dir: '/x' });
    const b = injectContext(touchFiles, { dir: '/x' });
    expect(a.runId).not.toBe(b.runId);
    expect(a.objectName).not.toBe(b.objectName);
    expect(a.stepId).toMatch(STEP_ID);
  });

  it('takes the ids, signal and logger it is given', () => {
    const ac = new AbortController();
    const lines: string[] = [];
    const log = { debug: () => {}, info: (m: string) => lines.push(m), warn: () => {}, error: () => {} };
    const ctx = injectContext(
      touchFiles,
      { dir: '/x' },
      { runId: 'r1', stepId: 's', iteration: 3, signal: ac.signal, log },
    );
    expect(ctx).toMatchObject({
      runId: 'r1',
      stepId: 's',
      iteration: 3,
      objectName: objectName('r1', 's', 3),
    });
    ctx.log.info('hello');
    expect(lines).toEqual(['hello']);
    ac.abort();
    expect(ctx.signal.aborted).toBe(true);
    // a revert runs after an abort too: its context gets a fresh signal, and keeps the logger
    const r = revertContext(ctx);
    expect(r.signal.aborted).toBe(false);
    expect(r.log).toBe(log);
    expect(r).toMatchObject({ runId: 'r1', stepId: 's', iteration: 3, objectName: ctx.objectName });
  });

  it('rejects bad tunables (FL_TUNABLES) and a step id no spec allows (FL_SPEC)', () => {
    const code = (c: string) => expect.objectContaining({ code: c });
    expect(() => injectContext(touchFiles, { dir: '/x', count: 0 })).toThrow(code('FL_TUNABLES'));
    expect(() => injectContext(touchFiles, { dir: '/x' }, { stepId: 'Not A Step' })).toThrow(code('FL_SPEC'));
  });

  it('builds a revert context from a journal entry, as recovery does', () => {
    const entry = sampleJournalEntry({ runId: 'abc', stepId: 'loss', iteration: 1, objectName: 'kept' });
    const r = revertContext(entry);
    expect(r).toMatchObject({ runId: 'abc', stepId: 'loss', iteration: 1, objectName: 'kept' });
    expect(r.tunables).toEqual(entry.tunables);
  });
});
