import * as v from 'valibot';
import { dnsEntries, dnsFault, dnsNameSchema } from './net/dns-fault.js';

/** Tunables of `linux/dns-error`. */
export const dnsErrorTunables = v.strictObject({
  ...dnsEntries,
  /** Names that fail to resolve (exact, or substrings with matchScheme 'substring'). */
  targetHostnames: v.pipe(v.array(dnsNameSchema), v.minLength(1, 'name at least one host'), v.maxLength(256)),
  /** The answer: `NXDOMAIN` (no such name) or `SERVFAIL` (the resolver failed). */
  errorCode: v.optional(v.picklist(['NXDOMAIN', 'SERVFAIL']), 'NXDOMAIN'),
});

/** `linux/dns-error`: matching names fail to resolve; every other name resolves as usual. */
export const dnsError = dnsFault({
  kind: 'linux/dns-error',
  summary: 'Make chosen host names fail to resolve (NXDOMAIN or SERVFAIL)',
  tunables: dnsErrorTunables,
  rules: (t) => ({ match: t.matchScheme, names: t.targetHostnames, error: t.errorCode }),
});
