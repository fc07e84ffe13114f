import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, errorToJSON, FaultlineError, isFaultlineError } from './errors.js';

describe('error codes', () => {
  it('the registry and docs/errors.md list the same codes', () => {
    const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
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
