import type { IncomingMessage } from 'node:http';
import * as v from 'valibot';

/** The request filter every HTTP toxic takes: method, path and headers ('' / {} = any). */
export const matchAttributes = {
  /** `GET`, `POST` ... case-insensitive; '' = any method. */
  method: v.optional(v.string(), ''),
  /** The path without query: exact, or a prefix when it ends with `*` (`/api/*`); '' = any path. */
  path: v.optional(v.string(), ''),
  /** Request headers that must be present with exactly this value (names case-insensitive). */
  headers: v.optional(v.record(v.string(), v.string()), {}),
};

/** The filter's values. */
export interface Match {
  method: string;
  path: string;
  headers: Record<string, string>;
}

/** Does this request pass the filter? */
export function matches(req: IncomingMessage, m: Match): boolean {
  if (m.method && m.method.toUpperCase() !== req.method) return false;
  if (m.path) {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (m.path.endsWith('*') ? !path.startsWith(m.path.slice(0, -1)) : path !== m.path) return false;
  }
  for (const [name, value] of Object.entries(m.headers)) {
    if (req.headers[name.toLowerCase()] !== value) return false;
  }
  return true;
}
