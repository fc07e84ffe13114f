// How a DNS fault gets the namespace's queries to its resolver, and only once: an nft nat table
// redirecting port 53 (IPv4 and IPv6, UDP and TCP) to the resolver on 127.0.0.1 / ::1 — except the
// queries of processes that resolve on this host's behalf: faultline resolvers (by group id) and a
// local stub such as systemd-resolved (by its user). Every DNS fault's table exempts the resolvers
// that were there before it and sits before their tables, so a query walks the faults newest to
// oldest, each answering its own names, and reaches the real upstream — never a loop.
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { type NsOptions, nsRun } from './netns.js';

/** faultline resolvers run with a group id of this base plus a slot free at inject. */
export const RESOLVER_GID_BASE = 0xfa170000;
/** And as this user (nobody): a resolver parses what the network sends it; it needs no privilege. */
export const RESOLVER_UID = 65534;

/** Is this a group faultline gives its resolvers? */
export const isResolverGid = (gid: number | undefined): gid is number =>
  gid !== undefined && gid >= RESOLVER_GID_BASE && gid < RESOLVER_GID_BASE + 0x10000;

/** A group id no running faultline resolver has. */
export function allocateGid(used: readonly (number | undefined)[]): number {
  const taken = new Set(used);
  for (;;) {
    const gid = RESOLVER_GID_BASE + randomInt(0, 0x10000);
    if (!taken.has(gid)) return gid;
  }
}

/**
 * The namespace's nameservers in resolv.conf order (/etc/netns/<ns>/resolv.conf wins, as under
 * `ip netns exec`). Link-local addresses with a zone (`fe80::1%eth0`) are skipped.
 */
export function systemNameservers(namespace: string | undefined): string[] {
  const files = [...(namespace ? [`/etc/netns/${namespace}/resolv.conf`] : []), '/etc/resolv.conf'];
  for (const f of files) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    return [...text.matchAll(/^\s*nameserver\s+(\S+)/gm)].map((m) => m[1]!).filter((ip) => isIP(ip) !== 0);
  }
  return [];
}

/** A loopback address: a nameserver there is a local stub (systemd-resolved's 127.0.0.53, dnsmasq ...). */
export const isLoopback = (ip: string) => ip.startsWith('127.') || ip === '::1';

/** An address and port as /proc/net/udp{,6} print them (each 32-bit word in host order, x86: little-endian). */
export function procNetAddress(ip: string, port: number): string {
  const bytes =
    isIP(ip) === 4
      ? ip.split('.').map(Number)
      : (() => {
          const [l = '', r = ''] = ip.split('::');
          const left = l ? l.split(':') : [];
          const right = ip.includes('::') && r ? r.split(':') : [];
          const groups = ip.includes('::')
            ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
            : left;
          return groups.flatMap((g) => [
            Number.parseInt(g || '0', 16) >> 8,
            Number.parseInt(g || '0', 16) & 0xff,
          ]);
        })();
  const words: string[] = [];
  for (let i = 0; i < bytes.length; i += 4)
    words.push(
      bytes
        .slice(i, i + 4)
        .reverse()
        .map((b) => b.toString(16).padStart(2, '0'))
        .join(''),
    );
  return `${words.join('').toUpperCase()}:${port.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * The users owning the UDP sockets a local stub listens on (the loopback nameservers, or the
 * wildcard address, at `port`), read from the namespace's /proc/net/udp and udp6.
 */
export async function stubOwners(
  addresses: readonly string[],
  port: number,
  opts: NsOptions,
): Promise<number[]> {
  if (addresses.length === 0) return [];
  const wanted = new Set([
    ...addresses.map((a) => procNetAddress(a, port)),
    procNetAddress('0.0.0.0', port),
    procNetAddress('::', port),
  ]);
  const r = await nsRun('cat', ['/proc/net/udp', '/proc/net/udp6'], opts);
  const uids = new Set<number>();
  for (const line of r.stdout.split('\n')) {
    const cols = line.trim().split(/\s+/);
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid ...
    if (cols[1] && wanted.has(cols[1]) && cols[7] !== undefined) uids.add(Number(cols[7]));
  }
  return [...uids];
}

/** A faultline DNS table found in the namespace: its name, its nat priority, the groups it lets through. */
export interface DnsTable {
  table: string;
  priority: number;
  gids: number[];
}

type NftItem = {
  chain?: { table: string; type?: string; hook?: string; prio?: number };
  rule?: {
    table: string;
    expr?: { match?: { left?: { meta?: { key?: string } }; right?: number | { set?: number[] } } }[];
  };
};

/**
 * The faultline DNS tables already in the namespace (`nft -j list ruleset`, one process): each one's
 * priority, and the resolver groups it exempts — its own and those before it — so a new fault knows
 * which resolvers exist here without scanning /proc.
 */
export async function dnsTables(opts: NsOptions): Promise<DnsTable[]> {
  const r = await nsRun('nft', ['-j', 'list', 'ruleset'], opts);
  if (r.exitCode !== 0) return [];
  const items = (JSON.parse(r.stdout || '{"nftables":[]}') as { nftables: NftItem[] }).nftables;
  const out = new Map<string, DnsTable>();
  for (const { chain } of items) {
    if (chain?.table.startsWith('faultline_') && chain.type === 'nat' && chain.hook === 'output')
      out.set(chain.table, { table: chain.table, priority: chain.prio ?? -100, gids: [] });
  }
  for (const { rule } of items) {
    const t = rule && out.get(rule.table);
    for (const e of t ? (rule.expr ?? []) : []) {
      if (e.match?.left?.meta?.key !== 'skgid') continue;
      const right = e.match.right;
      t!.gids.push(...(typeof right === 'number' ? [right] : (right?.set ?? [])).filter(isResolverGid));
    }
  }
  return [...out.values()];
}

/** What a DNS fault's redirect table holds. */
export interface RedirectPlan {
  table: string;
  /** The DNS port intercepted. */
  port: number;
  /** Where the resolver listens (127.0.0.1 and ::1). */
  listenPort: number;
  /** Before every other faultline DNS table (lower runs first). */
  priority: number;
  /** Groups whose queries pass untouched: this fault's resolver and the ones already there. */
  exemptGids: number[];
  /** Users whose queries pass untouched: a local stub's (its own upstream queries). */
  exemptUids: number[];
  /** When set, only queries to these addresses are redirected (a stub run by root: see the docs). */
  onlyTo?: string[];
}

/** The inet nat table of a DNS fault: one atomic commit, idempotent (add + delete + define). */
export function redirectScript(p: RedirectPlan): string {
  const set = (xs: readonly (string | number)[]) => `{ ${xs.join(', ')} }`;
  const to = (ips: string[], fam: 'ip' | 'ip6') => (ips.length ? [`${fam} daddr ${set(ips)} `] : []);
  const dests = p.onlyTo
    ? [
        ...to(
          p.onlyTo.filter((a) => isIP(a) === 4),
          'ip',
        ),
        ...to(
          p.onlyTo.filter((a) => isIP(a) === 6),
          'ip6',
        ),
      ]
    : [''];
  const rules = [
    `meta skgid ${set(p.exemptGids)} accept`,
    ...(p.exemptUids.length ? [`meta skuid ${set(p.exemptUids)} accept`] : []),
    ...dests.flatMap((d) =>
      ['udp', 'tcp'].map((proto) => `${d}${proto} dport ${p.port} redirect to :${p.listenPort}`),
    ),
  ];
  return [
    `add table inet ${p.table}`,
    `delete table inet ${p.table}`,
    `table inet ${p.table} {`,
    '  chain output {',
    `    type nat hook output priority ${p.priority}; policy accept;`,
    ...rules.map((r) => `    ${r}`),
    '  }',
    '}',
    '',
  ].join('\n');
}

/**
 * Forgets the DNS flows conntrack remembers: without this, a flow opened before inject is never
 * redirected, and a source port reused after revert still goes to the dead resolver.
 */
export async function flushDnsConntrack(port: number, opts: NsOptions): Promise<void> {
  const flows = ['ipv4', 'ipv6'].flatMap((family) => ['udp', 'tcp'].map((proto) => [family, proto] as const));
  await Promise.all(
    flows.map(async ([family, proto]) => {
      // exit 1 means "0 flow entries deleted": fine
      const r = await nsRun('conntrack', ['-D', '-f', family, '-p', proto, '--dport', String(port)], opts);
      if (r.exitCode > 1) opts.signal?.throwIfAborted();
    }),
  );
}
