import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { comparatorSchema, compare } from './comparators.js';

const ok = (c: unknown) => v.safeParse(comparatorSchema, c).success;

describe('comparator schema', () => {
  it('refuses what JSON cannot carry or an int cannot compare with', () => {
    for (const value of [null, Infinity, -Infinity, Number.NaN, '200', 1.5, 2 ** 53])
      expect(ok({ type: 'int', criteria: '==', value }), String(value)).toBe(false);
    expect(ok({ type: 'int', criteria: 'oneOf', value: [200, Infinity] })).toBe(false);
    expect(ok({ type: 'int', criteria: 'oneOf', value: [200, null] })).toBe(false);
    expect(ok({ type: 'int', criteria: 'between', value: [0, 1.5] })).toBe(false);
    expect(ok({ type: 'float', criteria: 'between', value: [0, Infinity] })).toBe(false);
    expect(ok({ type: 'string', criteria: 'matches', value: '(' })).toBe(false);
  });
  it('accepts the ordinary forms', () => {
    expect(ok({ type: 'int', criteria: '==', value: 200 })).toBe(true);
    expect(ok({ type: 'int', criteria: 'between', value: [200, 399] })).toBe(true);
    expect(ok({ type: 'float', criteria: '<', value: 0.5 })).toBe(true);
    expect(ok({ type: 'string', criteria: 'matches', value: '^ok' })).toBe(true);
  });
  it('says what a comparator looks like when none of the forms fits', () => {
    const r = v.safeParse(comparatorSchema, { type: 'int', criteria: '==', value: null });
    expect(r.issues?.map((i) => i.message).join(' ')).toMatch(/type 'int' or 'float' with a finite number/);
  });
  it('compares', () => {
    expect(compare(200, { type: 'int', criteria: 'between', value: [200, 399] }).passed).toBe(true);
    expect(compare('x', { type: 'int', criteria: '==', value: 1 }).passed).toBe(false);
  });
});
