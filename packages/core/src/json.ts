/** A JSON value: what receipts, tunables and events are made of, so a fresh process can read them. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
/** A JSON object. */
export type JsonObject = { [key: string]: Json };

/**
 * Where `x` stops being JSON: the dot path and why (`spec.steps.0.faults.0.tunables.x: Infinity is
 * not a JSON number`), or undefined when it is plain JSON. An `undefined` property counts as absent,
 * as JSON.stringify drops it; anything JSON would change (Infinity and NaN become null, a Date a
 * string, a Map `{}`) or cannot hold (functions, bigints, cycles) is named.
 */
export function whereNotJson(x: unknown, path = '(root)'): string | undefined {
  const seen = new Set<unknown>();
  const walk = (y: unknown, at: string): string | undefined => {
    if (y === null || typeof y === 'string' || typeof y === 'boolean') return undefined;
    if (typeof y === 'number') return Number.isFinite(y) ? undefined : `${at}: ${y} is not a JSON number`;
    if (typeof y !== 'object') return `${at}: a ${typeof y} is not JSON`;
    if (seen.has(y)) return `${at}: a cycle is not JSON`;
    const proto = Object.getPrototypeOf(y);
    if (!Array.isArray(y) && proto !== Object.prototype && proto !== null)
      return `${at}: a ${proto?.constructor?.name ?? 'non-plain object'} is not a plain JSON object`;
    seen.add(y);
    try {
      if (Array.isArray(y)) {
        for (let i = 0; i < y.length; i++) {
          // a hole or an undefined item would become null in JSON
          const bad =
            i in y && y[i] !== undefined ? walk(y[i], `${at}.${i}`) : `${at}.${i}: an empty item is not JSON`;
          if (bad) return bad;
        }
        return undefined;
      }
      for (const [k, v] of Object.entries(y)) {
        const bad = v === undefined ? undefined : walk(v, at === '(root)' ? k : `${at}.${k}`);
        if (bad) return bad;
      }
      return undefined;
    } finally {
      seen.delete(y);
    }
  };
  return walk(x, path);
}
