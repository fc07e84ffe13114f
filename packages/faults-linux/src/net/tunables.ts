import { isIP } from 'node:net';
import * as v from 'valibot';
import type { EntriesOutput } from '../entries.js';

// Every value here may reach an nft script or a tc/ip argv: the schemas are strict on purpose, so a
// name with a space, a `;` or a quote never gets that far.

/** A Linux interface name: 1-15 chars, no space, slash, colon or quote (IFNAMSIZ is 16 with the NUL). */
export const interfaceNameSchema = v.pipe(
  v.string(),
  v.regex(
    /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,14}$/,
    'an interface name is 1-15 chars of A-Z a-z 0-9 _ . @ - (no spaces)',
  ),
);

/** A named network namespace (`ip netns` names): 1-64 chars, no slash, space or dot-only. */
export const namespaceSchema = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'a namespace name is 1-64 chars of A-Z a-z 0-9 _ . -'),
);

/** True for an IPv4/IPv6 address or a CIDR with a prefix in range. */
export function isIpOrCidr(s: string): boolean {
  const [addr, prefix, extra] = s.split('/');
  if (extra !== undefined || addr === undefined) return false;
  const family = isIP(addr);
  if (family === 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

/** An IP address or CIDR (`10.0.0.7`, `10.0.0.0/8`, `fd00::/64`). */
export const ipOrCidrSchema = v.pipe(
  v.string(),
  v.check(isIpOrCidr, (i) => `'${String(i.input)}' is not an IP address or a CIDR with a prefix in range`),
);

/** A plain IP address (no prefix). */
export const ipSchema = v.pipe(
  v.string(),
  v.check(
    (s) => isIP(s) !== 0,
    (i) => `'${String(i.input)}' is not an IP address`,
  ),
);

/** A host name (RFC 1123 labels) or an IP address. */
export const hostSchema = v.pipe(
  v.string(),
  v.check(
    (s) =>
      isIP(s) !== 0 ||
      (/^(?=.{1,253}$)([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.?)+$/.test(s) && !s.startsWith('.')),
    (i) => `'${String(i.input)}' is not a host name or an IP address`,
  ),
);

/** Parsed port selector: `80`, `'8000-8080'`, `'!22'` (exclude). */
export interface PortSelector {
  exclude: boolean;
  from: number;
  to: number;
}

/** Parses one port selector; undefined when malformed or out of 1..65535. */
export function parsePortSelector(input: string | number): PortSelector | undefined {
  const m = String(input)
    .trim()
    .match(/^(!?)(\d{1,5})(?:-(\d{1,5}))?$/);
  if (!m) return undefined;
  const from = Number(m[2]);
  const to = m[3] === undefined ? from : Number(m[3]);
  if (from < 1 || to > 65535 || to < from) return undefined;
  return { exclude: m[1] === '!', from, to };
}

/** A port, a range `'8000-8080'`, or an exclusion `'!22'`; ports 1..65535. */
export const portSelectorSchema = v.pipe(
  v.union([v.number(), v.string()]),
  v.check(
    (p) => parsePortSelector(p) !== undefined,
    (i) => `'${String(i.input)}' is not a port (1-65535), a range 'a-b' or '!port'`,
  ),
);

/** A single port 1..65535. */
export const portSchema = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535));

/** Which traffic a rule matches. */
export const protocolSchema = v.picklist(['tcp', 'udp', 'icmp', 'all']);
/** Which way the fault acts: packets leaving, arriving, or both. */
export const directionSchema = v.picklist(['egress', 'ingress', 'both']);

/** Direction of a fault. */
export type Direction = v.InferOutput<typeof directionSchema>;
/** Protocol of a fault. */
export type Protocol = v.InferOutput<typeof protocolSchema>;

const list = <T extends v.GenericSchema>(item: T, max: number) => v.pipe(v.array(item), v.maxLength(max));

/**
 * The tunables every packet-filter fault shares (Harness names, camelCase). `destination*` is the
 * remote end: matched as the destination on egress and as the source on ingress.
 */
export const targetEntries = {
  /** Interfaces to act on. Default: every interface but `lo` found at inject (recorded in the receipt). */
  interfaces: v.optional(list(interfaceNameSchema, 64)),
  /** Remote host names, resolved at inject (in the namespace) and recorded in the receipt. */
  destinationHosts: v.optional(list(hostSchema, 64), []),
  /** Remote IPs or CIDRs. With no destination at all, every address is matched. */
  destinationIps: v.optional(list(ipOrCidrSchema, 256), []),
  /** Local ports (egress: source port, ingress: destination port); `'!22'` excludes. */
  sourcePorts: v.optional(list(portSelectorSchema, 64), []),
  /** Remote ports (egress: destination port, ingress: source port); `'!22'` excludes. */
  destinationPorts: v.optional(list(portSelectorSchema, 64), []),
  protocol: v.optional(protocolSchema, 'all'),
  /** Keep ports 22 and 2222 working (both ways), so the operator keeps SSH. */
  whitelistSsh: v.optional(v.boolean(), true),
  /** A named network namespace (`ip netns`): every command runs inside it. Default: this one. */
  namespace: v.optional(namespaceSchema),
};

/** Ports with `icmp` (ICMP has no ports) would silently match nothing. */
export function portsFitProtocol(t: {
  protocol: string;
  sourcePorts: unknown[];
  destinationPorts: unknown[];
}) {
  return t.protocol !== 'icmp' || (t.sourcePorts.length === 0 && t.destinationPorts.length === 0);
}

/** The message of {@link portsFitProtocol}. */
export const PORTS_NEED_TRANSPORT = 'ports cannot be combined with protocol icmp';

/** Rejects ports with `icmp` (see {@link portsFitProtocol}). */
export const portsNeedTransport = <
  T extends { protocol: string; sourcePorts: unknown[]; destinationPorts: unknown[] },
>() => v.check<T, string>(portsFitProtocol, PORTS_NEED_TRANSPORT);

/** The parsed {@link targetEntries}. */
export type TargetTunables = EntriesOutput<typeof targetEntries>;

/** Ports kept open when `whitelistSsh` is on. */
export const SSH_PORTS = [22, 2222] as const;
