import { isFaultlineError } from '@faultline/core';
import { describe, expect, it } from 'vitest';
import { parseJsonPath, readJsonPath } from './json-path.js';

describe('simple JSON path', () => {
  const doc = { a: { b: [7, { c: 'x' }] }, 'odd key': { "it's": 1 }, n: null };
  it('reads keys, indexes (negative from the end) and quoted keys', () => {
    expect(readJsonPath(doc, '$')).toEqual(doc);
    expect(readJsonPath(doc, '$.a.b[0]')).toBe(7);
    expect(readJsonPath(doc, '$.a.b[-1].c')).toBe('x');
    expect(readJsonPath(doc, "$['odd key']['it\\'s']")).toBe(1);
    expect(readJsonPath(doc, '$["odd key"]')).toEqual({ "it's": 1 });
    expect(readJsonPath(doc, '$.n')).toBeNull();
  });
  it('gives undefined for what is absent, without walking into prototypes', () => {
    expect(readJsonPath(doc, '$.a.z')).toBeUndefined();
    expect(readJsonPath(doc, '$.a.b[5]')).toBeUndefined();
    expect(readJsonPath(doc, '$.a[0]')).toBeUndefined();
    expect(readJsonPath(doc, '$.a.constructor')).toBeUndefined();
  });
  it('rejects what it does not parse, naming the position', () => {
    for (const bad of ['a.b', '$.', '$[*]', '$..a', '$.a[?(@.x)]']) {
      let err: unknown;
      try {
        parseJsonPath(bad);
      } catch (e) {
        err = e;
      }
      expect(isFaultlineError(err, 'FL_TUNABLES'), bad).toBe(true);
    }
  });
});
