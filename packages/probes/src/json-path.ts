import { FaultlineError, type Json } from '@faultline/core';

/** One step of a path: an object key or an array index. */
type Segment = string | number;

const SEGMENT = /^(?:\.([A-Za-z_$][\w$-]*)|\[(-?\d+)\]|\['((?:[^'\\]|\\.)*)'\]|\["((?:[^"\\]|\\.)*)"\])/;

/**
 * Parses a simple JSON path: `$`, `.key`, `[0]`, `[-1]` (from the end), `['odd key']`. No filters or
 * wildcards: a probe compares one value, and a path that could match several would hide which.
 * Throws `FL_TUNABLES` naming the position that does not parse.
 */
export function parseJsonPath(path: string): Segment[] {
  if (!path.startsWith('$')) throw bad(path, 0, 'a path starts with $');
  const out: Segment[] = [];
  let rest = path.slice(1);
  while (rest.length > 0) {
    const m = SEGMENT.exec(rest);
    if (!m) throw bad(path, path.length - rest.length, "expected .key, [index] or ['key']");
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(Number(m[2]));
    else out.push((m[3] ?? m[4] ?? '').replace(/\\(.)/g, '$1'));
    rest = rest.slice(m[0].length);
  }
  return out;
}

function bad(path: string, at: number, why: string): FaultlineError {
  return new FaultlineError(
    'FL_TUNABLES',
    `JSON path '${path}' does not parse at position ${at}: ${why} (e.g. $.data.items[0].name)`,
  );
}

/** The value at a path, or `undefined` when any step is missing. */
export function readJsonPath(doc: Json, path: string): Json | undefined {
  let cur: Json | undefined = doc;
  for (const seg of parseJsonPath(path)) {
    if (typeof seg === 'number') {
      if (!Array.isArray(cur)) return undefined;
      cur = cur[seg < 0 ? cur.length + seg : seg];
    } else {
      if (cur === null || typeof cur !== 'object' || Array.isArray(cur) || !Object.hasOwn(cur, seg))
        return undefined;
      cur = cur[seg];
    }
  }
  return cur;
}

/** Checks that a path parses (for a valibot `check`). */
export function isJsonPath(path: string): boolean {
  try {
    parseJsonPath(path);
    return true;
  } catch {
    return false;
  }
}
