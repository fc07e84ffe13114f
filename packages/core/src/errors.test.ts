import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, errorToJSON, FaultlineError, isFaultlineError } from './errors.js';

describe('error codes', () => {
  it('the registry and docs/errors.md list the same codes', async () => {
    const doc = await readFile(new URL('../docs/errors.md', import.meta.url), 'utf8');
    const documented = [...doc.matchAll(/^\| `(FL_[A-Z_]+)`\s*\|/gm)].map((m) => m[1]).sort();
    expect(documented).toEqual(Object.keys(ERROR_CODES).sort());
  });
  it('FaultlineError carries code, cause and details, and serialises to JSON', () => {
    const cause = new Error('root');
    const e = new FaultlineError('FL_TUNABLES', 'bad', { cause, details: { kind: 'x' } });
    expect(e.message).toBe('FL_TUNABLES: bad');
    expect(e.cause).toBe(cause);
    expect(isFaultlineError(e, 'FL_TUNABLES')).toBe(true);
    expect(isFaultlineError(e, 'FL_SPEC')).toBe(false);
    expect(JSON.parse(JSON.stringify(e))).toEqual({
      code: 'FL_TUNABLES',
      message: 'FL_TUNABLES: bad',
      details: { kind: 'x' },
    });
    expect(errorToJSON(new TypeError('t'))).toEqual({ code: 'TypeError', message: 't' });
  });
});

describe('error identity across two copies of @faultline/core', () => {
  // an app whose pack brought its own copy of core: the same module, compiled and loaded from
  // another path, so its class is a different object from ours
  async function secondCopy(): Promise<typeof import('./errors.js')> {
    const dir = await mkdtemp(join(tmpdir(), 'faultline-errors-copy-'));
    try {
      const source = await readFile(new URL('./errors.ts', import.meta.url), 'utf8');
      const js = ts.transpileModule(source, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      }).outputText;
      await writeFile(join(dir, 'errors.mjs'), js);
      return await import(pathToFileURL(join(dir, 'errors.mjs')).href);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it('isFaultlineError and instanceof recognise the other copy’s errors, both ways', async () => {
    const other = await secondCopy();
    expect(other.FaultlineError).not.toBe(FaultlineError);
    const theirs = new other.FaultlineError('FL_SPEC', 'from the other copy');
    const ours = new FaultlineError('FL_JOURNAL', 'from this copy');

    expect(isFaultlineError(theirs)).toBe(true);
    expect(isFaultlineError(theirs, 'FL_SPEC')).toBe(true);
    expect(isFaultlineError(theirs, 'FL_JOURNAL')).toBe(false);
    expect(theirs instanceof FaultlineError).toBe(true);
    expect(errorToJSON(theirs)).toEqual({ code: 'FL_SPEC', message: 'FL_SPEC: from the other copy' });

    expect(other.isFaultlineError(ours, 'FL_JOURNAL')).toBe(true);
    expect(ours instanceof other.FaultlineError).toBe(true);
  });

  it('nothing else passes for a FaultlineError', async () => {
    const other = await secondCopy();
    const lookalike = Object.assign(new Error('FL_SPEC: x'), { name: 'FaultlineError', code: 'FL_SPEC' });
    for (const x of [lookalike, new Error('x'), { code: 'FL_SPEC' }, null, undefined, 'FL_SPEC']) {
      expect(isFaultlineError(x)).toBe(false);
      expect(x instanceof FaultlineError).toBe(false);
      expect(other.isFaultlineError(x)).toBe(false);
    }
    // the brand lives on the prototype: it adds no own property to an error
    expect(Object.getOwnPropertySymbols(new FaultlineError('FL_SPEC', 'x'))).toEqual([]);
  });

  it('a subclass keeps the ordinary instanceof', () => {
    class Narrow extends FaultlineError {}
    expect(new Narrow('FL_SPEC', 'x') instanceof Narrow).toBe(true);
    expect(new Narrow('FL_SPEC', 'x') instanceof FaultlineError).toBe(true);
    expect(new FaultlineError('FL_SPEC', 'x') instanceof Narrow).toBe(false);
  });
});
