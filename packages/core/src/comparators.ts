import * as v from 'valibot';
import type { Json } from './json.js';

/** Criteria for int and float values. */
export const NUMBER_CRITERIA = ['>=', '<=', '==', '!=', '>', '<', 'oneOf', 'between'] as const;
/** Criteria for string values. */
export const STRING_CRITERIA = ['equal', 'notEqual', 'contains', 'matches', 'notMatches', 'oneOf'] as const;

/** A comparator in its plain JSON form, as specs hold it. */
export type Comparator =
  | {
      type: 'int' | 'float';
      criteria: Exclude<(typeof NUMBER_CRITERIA)[number], 'oneOf' | 'between'>;
      value: number;
    }
  | { type: 'int' | 'float'; criteria: 'oneOf'; value: number[] }
  | { type: 'int' | 'float'; criteria: 'between'; value: [number, number] }
  | { type: 'string'; criteria: Exclude<(typeof STRING_CRITERIA)[number], 'oneOf'>; value: string }
  | { type: 'string'; criteria: 'oneOf'; value: string[] };

// a comparator travels as JSON (journal, agent): Infinity or NaN would arrive as null
const num = v.pipe(v.number(), v.finite('a comparator value must be a finite number'));

/** The numbers a number comparator names, whatever its criteria. */
const valuesOf = (c: { value: number | number[] }): number[] =>
  Array.isArray(c.value) ? c.value : [c.value];

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

/** The valibot schema of {@link Comparator}; an `int` comparator compares with whole numbers; a `matches` pattern must compile. */
export const comparatorSchema: v.GenericSchema<Comparator> = v.pipe(
  v.union(
    [
      v.object({
        type: v.picklist(['int', 'float']),
        criteria: v.picklist(['>=', '<=', '==', '!=', '>', '<']),
        value: num,
      }),
      v.object({ type: v.picklist(['int', 'float']), criteria: v.literal('oneOf'), value: v.array(num) }),
      v.object({
        type: v.picklist(['int', 'float']),
        criteria: v.literal('between'),
        value: v.pipe(
          v.tuple([num, num]),
          v.check(([a, b]) => a <= b, 'between needs [low, high] with low <= high'),
        ),
      }),
      v.object({
        type: v.literal('string'),
        criteria: v.picklist(['equal', 'notEqual', 'contains', 'matches', 'notMatches']),
        value: v.string(),
      }),
      v.object({ type: v.literal('string'), criteria: v.literal('oneOf'), value: v.array(v.string()) }),
    ],
    "a comparator is { type, criteria, value }: type 'int' or 'float' with a finite number (a list for oneOf, [low, high] for between), or type 'string' with a string (a list for oneOf)",
  ),
  v.check(
    (c) => c.type !== 'int' || valuesOf(c as { value: number | number[] }).every(Number.isSafeInteger),
    "an int comparator compares with whole numbers: use type 'float' for fractions",
  ),
  v.check(
    (c) => (c.criteria !== 'matches' && c.criteria !== 'notMatches') || compiles(c.value as string),
    'the pattern of matches/notMatches is not a valid regular expression',
  ),
) as v.GenericSchema<Comparator>;

/** What a comparison found: whether it held, and a sentence for the probe's message. */
export interface Comparison {
  passed: boolean;
  message: string;
}

/**
 * Compares a measured value with a comparator. Ints are compared as integers (a non-integer actual
 * fails), floats as numbers, strings as strings (`matches` is a JavaScript regular expression).
 */
export function compare(actual: Json | undefined, c: Comparator): Comparison {
  const show = JSON.stringify(c.value);
  if (c.type === 'string') {
    if (typeof actual !== 'string')
      return { passed: false, message: `expected a string, got ${JSON.stringify(actual)}` };
    let passed: boolean;
    switch (c.criteria) {
      case 'equal':
        passed = actual === c.value;
        break;
      case 'notEqual':
        passed = actual !== c.value;
        break;
      case 'contains':
        passed = actual.includes(c.value);
        break;
      case 'matches':
        passed = new RegExp(c.value).test(actual);
        break;
      case 'notMatches':
        passed = !new RegExp(c.value).test(actual);
        break;
      case 'oneOf':
        passed = c.value.includes(actual);
        break;
    }
    const shown = actual.length > 120 ? `${actual.slice(0, 120)}…` : actual;
    return { passed, message: `${JSON.stringify(shown)} ${c.criteria} ${show}: ${passed ? 'ok' : 'failed'}` };
  }
  const n =
    typeof actual === 'number'
      ? actual
      : typeof actual === 'string' && actual.trim() !== ''
        ? Number(actual)
        : Number.NaN;
  if (!Number.isFinite(n) || (c.type === 'int' && !Number.isInteger(n))) {
    return {
      passed: false,
      message: `expected ${c.type === 'int' ? 'an integer' : 'a number'}, got ${JSON.stringify(actual)}`,
    };
  }
  let passed: boolean;
  switch (c.criteria) {
    case '>=':
      passed = n >= c.value;
      break;
    case '<=':
      passed = n <= c.value;
      break;
    case '==':
      passed = n === c.value;
      break;
    case '!=':
      passed = n !== c.value;
      break;
    case '>':
      passed = n > c.value;
      break;
    case '<':
      passed = n < c.value;
      break;
    case 'oneOf':
      passed = c.value.includes(n);
      break;
    case 'between':
      passed = n >= c.value[0] && n <= c.value[1];
      break;
  }
  return { passed, message: `${n} ${c.criteria} ${show}: ${passed ? 'ok' : 'failed'}` };
}
