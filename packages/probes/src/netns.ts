import * as v from 'valibot';

/** A network namespace name as `ip netns` accepts it (a file under /run/netns). */
export const netnsSchema = v.pipe(
  v.string(),
  v.regex(
    /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/,
    'a namespace name is 1-64 chars of A-Z a-z 0-9 _ . - (as in `ip netns list`)',
  ),
);

/** Wraps an argv so it runs inside a named network namespace (`ip netns exec NAME ...`), or as is. */
export function inNamespace(argv: readonly string[], namespace: string | undefined): string[] {
  return namespace === undefined ? [...argv] : ['ip', 'netns', 'exec', namespace, ...argv];
}
