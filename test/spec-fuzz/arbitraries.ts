// Generated input for the fuzz test: hostile values (huge, negative, NaN-ish numbers, strings a shell
// or a path would misread, wrong types) and near-valid mutations of a valid JSON value.
import { fc } from '@fast-check/vitest';

/** Numbers a careless or hostile caller passes; several are not JSON (a JS caller can still pass them). */
export const nastyNumber = fc.constantFrom(
  1e308,
  -1e308,
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  -1,
  -0,
  0,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32,
  2 ** 53,
  2 ** 53 + 2,
  -(2 ** 53),
  1.5,
  0.1,
  65_536,
  4_194_305,
  1e21,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
);

/** Strings that are almost durations or sizes, shell or path tricks, patterns, and oddities. */
export const nastyString = fc.constantFrom(
  '999999999h',
  '597h',
  '1e308',
  '1e3ms',
  '-1s',
  '0x10',
  '1_000',
  'NaN',
  'Infinity',
  '',
  ' ',
  '30%%',
  '150%',
  '9999999TiB',
  `1${'0'.repeat(400)}ms`,
  '$(reboot)',
  '; rm -rf /',
  '`id`',
  '| cat /etc/shadow',
  '&& halt',
  '-H',
  '--help',
  '../../etc/passwd',
  '/tmp/../etc',
  '/tmp/./../../root',
  '/proc/self/mem',
  '/',
  '/etc',
  'a\u0000b',
  'a\nb',
  '%s%n',
  '__proto__',
  'constructor',
  'toString',
  '😀',
  '*',
  '(',
  '((a+)+)+$',
  'x'.repeat(5000),
  '10.0.0.1/33',
  '::ffff:10.0.0.1',
  '0.0.0.0/0',
  '!0',
  '0-65536',
  'http://[::1',
  'file:///etc/passwd',
  'SIGKILL; reboot',
);

/** Values of the wrong type. */
export const wrongType = fc.constantFrom(null, true, false, [], {}, [null], { a: 1 }, [[]], [1, 2, 3]);

/** Any one hostile value. */
export const nasty: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: nastyNumber },
  { weight: 3, arbitrary: nastyString },
  { weight: 2, arbitrary: wrongType },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.string() },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

type Path = (string | number)[];

/** Every path inside a JSON value, the root included. */
function pathsOf(x: unknown, at: Path = []): Path[] {
  const out: Path[] = [at];
  if (Array.isArray(x)) {
    for (const [i, y] of x.entries()) out.push(...pathsOf(y, [...at, i]));
  } else if (x !== null && typeof x === 'object')
    for (const [k, y] of Object.entries(x)) out.push(...pathsOf(y, [...at, k]));
  return out;
}

/** One edit: which path (index modulo the paths there are), what to do, with what. */
interface Edit {
  at: number;
  op: 'replace' | 'delete' | 'add-key' | 'wrap-in-array';
  value: unknown;
  key: string;
}

const edit: fc.Arbitrary<Edit> = fc.record({
  at: fc.nat(),
  op: fc.constantFrom('replace', 'replace', 'replace', 'delete', 'add-key', 'wrap-in-array'),
  value: nasty,
  key: fc.constantFrom('extra', '__proto__', 'constructor', 'then', 'toJSON', ''),
});

/** Sets an own property, `__proto__` included (as JSON.parse would), never the prototype. */
function setOwn(o: object, k: string | number, value: unknown): void {
  Object.defineProperty(o, k, { value, enumerable: true, writable: true, configurable: true });
}

function apply(root: unknown, edit: Edit): unknown {
  // the constants are shared between runs: edit a copy, or one run's edit leaks into the next
  const e = { ...edit, value: structuredClone(edit.value) };
  const paths = pathsOf(root);
  const path = paths[e.at % paths.length]!;
  const at = path.slice(0, -1).reduce<any>((o, k) => o[k], root);
  const last = path[path.length - 1];
  const current = last === undefined ? root : at[last];
  const next =
    e.op === 'replace'
      ? e.value
      : e.op === 'wrap-in-array'
        ? [current]
        : e.op === 'add-key'
          ? current
          : current;
  if (e.op === 'add-key') {
    if (current !== null && typeof current === 'object' && !Array.isArray(current))
      setOwn(current, e.key, e.value);
    return root;
  }
  if (last === undefined) return e.op === 'delete' ? undefined : next;
  if (e.op === 'delete') {
    if (Array.isArray(at)) at.splice(Number(last), 1);
    else delete at[last];
  } else setOwn(at, last, next);
  return root;
}

/** `base` with one to three edits: a value replaced by a hostile one, a key dropped or added, a value wrapped. */
export function nearValid(base: unknown): fc.Arbitrary<unknown> {
  return fc
    .array(edit, { minLength: 1, maxLength: 3 })
    .map((edits) => edits.reduce((x, e) => apply(x, e), structuredClone(base)));
}
