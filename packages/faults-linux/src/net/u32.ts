// The classifier of the tc faults: u32 filters (flower and matchall are not on every kernel; u32 is)
// that send the packets a fault targets to its shaping class and let the rest go out untouched.
// Pure: every line is built from schema-checked values and unit-tested.
import { isIP } from 'node:net';
import { FaultlineError } from '@faultline/core';
import type { PacketMatch } from './nft.js';
import { type PortSelector, SSH_PORTS } from './tunables.js';

/** What the classifier needs: the packets to shape, and whether SSH is kept out of it. */
export interface ClassifierSpec {
  match: PacketMatch;
  whitelistSsh: boolean;
  /** `egress` on a real interface (remote = destination); `ingress` on the ifb (remote = source). */
  dir: 'egress' | 'ingress';
}

/** u32 filters per interface a fault may install: each is a linear check on every packet. */
export const MAX_FILTERS = 512;

const PROTO = { tcp: 6, udp: 17 } as const;
/** IP family of the filter: tc's protocol name, u32's match prefix, the ICMP number. */
const FAMILIES = {
  4: { protocol: 'ip', prefix: 'ip', icmp: 1 },
  6: { protocol: 'ipv6', prefix: 'ip6', icmp: 58 },
} as const;

/**
 * A port range as u32 value/mask blocks (u32 matches a masked value, not a range): 8000-8090 is
 * 8000/fff0... each block aligned and inside the range, as a CIDR split covers an address range.
 */
export function portBlocks(p: Pick<PortSelector, 'from' | 'to'>): { value: number; mask: number }[] {
  const out: { value: number; mask: number }[] = [];
  let from = p.from;
  while (from <= p.to) {
    let size = 1;
    while (from % (size * 2) === 0 && from + size * 2 - 1 <= p.to && size < 0x10000) size *= 2;
    out.push({ value: from, mask: 0xffff & ~(size - 1) });
    from += size;
  }
  return out;
}

const hex = (n: number) => `0x${n.toString(16)}`;

/** One alternative of a port condition: `match ip sport 8000 0xfff0`. */
function portKey(prefix: string, field: 'sport' | 'dport', b: { value: number; mask: number }): string {
  return `match ${prefix} ${field} ${b.value} ${hex(b.mask)}`;
}

/** Every combination of one alternative from each list (an empty list is "no condition"). */
function product(lists: string[][]): string[] {
  return lists.reduce<string[]>(
    (acc, alts) => (alts.length === 0 ? acc : acc.flatMap((a) => alts.map((b) => `${a} ${b}`.trim()))),
    [''],
  );
}

/**
 * The filter lines for one device under root handle `h`: SSH and excluded ports first, sent to
 * `h` itself (htb's "direct" flow: out at once, unshaped), then the targeted packets to class `h1`.
 * Whatever no filter claims also goes out direct (the htb has no default class).
 */
export function classifierLines(dev: string, h: string, s: ClassifierSpec): string[] {
  const { match: m } = s;
  const [localField, remoteField, remoteAddr] =
    s.dir === 'egress' ? (['sport', 'dport', 'dst'] as const) : (['dport', 'sport', 'src'] as const);
  const hasPorts = m.localPorts.length + m.remotePorts.length > 0;
  const l4 = m.protocol === 'tcp' || m.protocol === 'udp' ? [m.protocol] : hasPorts ? ['tcp', 'udp'] : [];
  const byFamily = { 4: [] as string[], 6: [] as string[] };
  for (const ip of new Set(m.remoteIps)) byFamily[isIP(ip.split('/')[0] ?? '') === 6 ? 6 : 4].push(ip);
  const families = ([4, 6] as const).filter((f) => m.remoteIps.length === 0 || byFamily[f].length > 0);
  const direct: string[] = [];
  const shaped: string[] = [];
  let prio = 2;
  for (const f of [4, 6] as const) {
    const { protocol, prefix, icmp } = FAMILIES[f];
    const line = (p: number, keys: string, flow: string) =>
      `filter add dev ${dev} parent ${h} protocol ${protocol} prio ${p} u32 ${keys} flowid ${flow}`;
    const proto = (n: number) => `match ${prefix} protocol ${n} 0xff`;
    const exempt: string[] = [];
    if (s.whitelistSsh) {
      for (const port of SSH_PORTS)
        for (const field of ['sport', 'dport'] as const)
          exempt.push(`${proto(PROTO.tcp)} ${portKey(prefix, field, { value: port, mask: 0xffff })}`);
    }
    for (const [field, ps] of [
      [localField, m.localPorts],
      [remoteField, m.remotePorts],
    ] as const) {
      for (const b of ps.filter((p) => p.exclude).flatMap(portBlocks))
        for (const t of l4) exempt.push(`${proto(PROTO[t as 'tcp' | 'udp'])} ${portKey(prefix, field, b)}`);
    }
    const directPrio = prio++;
    direct.push(...exempt.map((k) => line(directPrio, k, h)));
    if (!families.includes(f)) continue;
    const included = (ps: PortSelector[], field: 'sport' | 'dport') =>
      ps.filter((p) => !p.exclude).flatMap((p) => portBlocks(p).map((b) => portKey(prefix, field, b)));
    const keys = product([
      byFamily[f].map((ip) => `match ${prefix} ${remoteAddr} ${ip}`),
      m.protocol === 'icmp' ? [proto(icmp)] : l4.map((t) => proto(PROTO[t as 'tcp' | 'udp'])),
      included(m.localPorts, localField),
      included(m.remotePorts, remoteField),
    ]);
    shaped.push(...keys.filter(Boolean).map((k) => line(10 + f, k, `${h}1`)));
  }
  // nothing narrows the fault: every packet (ARP and IPv6 too) goes to the class, after the exemptions
  const anything = m.remoteIps.length === 0 && m.protocol === 'all' && !hasPorts;
  if (anything)
    shaped.push(`filter add dev ${dev} parent ${h} protocol all prio 20 u32 match u32 0 0 flowid ${h}1`);
  const total = direct.length + shaped.length;
  if (total > MAX_FILTERS) {
    throw new FaultlineError(
      'FL_INJECT',
      `this targeting needs ${total} u32 filters per interface (addresses × protocols × port blocks; the limit is ${MAX_FILTERS}): use CIDRs, fewer port ranges or ranges aligned on powers of two`,
    );
  }
  return [...direct, ...shaped];
}
