import * as v from 'valibot';
import { dnsEntries, dnsFault, dnsNameSchema } from './net/dns-fault.js';
import { ipSchema } from './net/tunables.js';

/** Tunables of `linux/dns-spoof`. */
export const dnsSpoofTunables = v.strictObject({
  ...dnsEntries,
  /** Name (or substring) → the address(es) it resolves to: `{ 'api.example.com': '10.0.0.9' }`. */
  spoofMap: v.pipe(
    v.record(dnsNameSchema, v.union([ipSchema, v.pipe(v.array(ipSchema), v.minLength(1), v.maxLength(16))])),
    v.check((m) => Object.keys(m).length > 0, 'spoofMap needs at least one name'),
  ),
});

/** `linux/dns-spoof`: matching names resolve to the given addresses (TTL 0); others resolve as usual. */
export const dnsSpoof = dnsFault({
  kind: 'linux/dns-spoof',
  summary: 'Make chosen host names resolve to other addresses',
  tunables: dnsSpoofTunables,
  rules: (t) => ({
    match: t.matchScheme,
    spoof: Object.fromEntries(
      Object.entries(t.spoofMap).map(([k, ip]) => [k, Array.isArray(ip) ? ip : [ip]]),
    ),
  }),
});
