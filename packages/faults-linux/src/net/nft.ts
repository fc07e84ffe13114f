import { isIP } from 'node:net';
import { FaultlineError } from '@faultline/core';
import { type NsOptions, nsRun } from './netns.js';
import { type PortSelector, type Protocol, SSH_PORTS } from './tunables.js';

/** The nft families faultline creates tables in. */
export type NftFamily = 'netdev' | 'inet';
/** Every family a receipt-less revert or a leftover scan looks in. */
export const NFT_FAMILIES: readonly NftFamily[] = ['netdev', 'inet'];

/** What packets a rule matches, already resolved (no host names left). */
export interface PacketMatch {
  /** Remote addresses/CIDRs; both empty → every IPv4 and IPv6 packet. */
  remoteIps: string[];
  protocol: Protocol;
  localPorts: PortSelector[];
  remotePorts: PortSelector[];
}

/** What happens to a matched packet. `loss` is a percent; 100 becomes a plain drop. */
export type Verdict = { type: 'drop' } | { type: 'loss'; percent: number } | { type: 'reject' };

/** One table to build: a chain per interface and direction (netdev), or input/output chains (inet). */
export interface TableSpec {
  name: string;
  family: NftFamily;
  interfaces: string[];
  egress: boolean;
  ingress: boolean;
  match: PacketMatch;
  verdict: Verdict;
  whitelistSsh: boolean;
  /** The down ifb that egress drops are forwarded to (see {@link dropsOnEgress}); needed when they are. */
  sink?: string | undefined;
}

/** Does this table drop packets on an egress hook (and so need a sink to drop them silently)? */
export function dropsOnEgress(s: Pick<TableSpec, 'family' | 'egress' | 'verdict'>): boolean {
  const drops = s.verdict.type === 'drop' || (s.verdict.type === 'loss' && s.verdict.percent > 0);
  return s.family === 'netdev' && s.egress && drops;
}

const quote = (s: string) => `"${s}"`;

const portSet = (ps: PortSelector[]): string =>
  `{ ${ps.map((p) => (p.from === p.to ? `${p.from}` : `${p.from}-${p.to}`)).join(', ')} }`;

function portExprs(field: 'sport' | 'dport', ps: PortSelector[]): string[] {
  const inc = ps.filter((p) => !p.exclude);
  const exc = ps.filter((p) => p.exclude);
  return [
    ...(inc.length ? [`th ${field} ${portSet(inc)}`] : []),
    ...(exc.length ? [`th ${field} != ${portSet(exc)}`] : []),
  ];
}

/**
 * The match part of the rules for one direction: one line per IP family that has addresses (nft sets
 * cannot mix IPv4 and IPv6). Egress matches the remote end as destination, ingress as source.
 */
export function matchLines(m: PacketMatch, dir: 'egress' | 'ingress', family: NftFamily): string[] {
  const [remote, local] = dir === 'egress' ? (['daddr', 'sport'] as const) : (['saddr', 'dport'] as const);
  const remotePortField = dir === 'egress' ? 'dport' : 'sport';
  const hasPorts = m.localPorts.length > 0 || m.remotePorts.length > 0;
  const l4 =
    m.protocol === 'tcp' || m.protocol === 'udp'
      ? [`meta l4proto ${m.protocol}`]
      : m.protocol === 'icmp'
        ? ['meta l4proto { icmp, ipv6-icmp }']
        : hasPorts
          ? ['meta l4proto { tcp, udp }']
          : [];
  const ports = [...portExprs(local, m.localPorts), ...portExprs(remotePortField, m.remotePorts)];
  const v4 = m.remoteIps.filter((ip) => isIP(ip.split('/')[0] ?? '') === 4);
  const v6 = m.remoteIps.filter((ip) => isIP(ip.split('/')[0] ?? '') === 6);
  const addr: string[] = [];
  if (v4.length) addr.push(`ip ${remote} { ${[...new Set(v4)].join(', ')} }`);
  if (v6.length) addr.push(`ip6 ${remote} { ${[...new Set(v6)].join(', ')} }`);
  // netdev chains see ARP and every other ethertype: without addresses, limit the fault to IP
  if (!addr.length) addr.push(family === 'netdev' ? 'meta protocol { ip, ip6 }' : '');
  return addr.map((a) => [a, ...l4, ...ports].filter(Boolean).join(' '));
}

function verdictRules(prefix: string, v: Verdict, protocol: Protocol, drop: string): string[] {
  if (v.type === 'drop' || (v.type === 'loss' && v.percent >= 100)) return [`${prefix} ${drop}`];
  if (v.type === 'loss') {
    // numgen over 10000 keeps two decimals of the percent; `mod 100 < 100` is rejected by nft
    const n = Math.round(v.percent * 100);
    return n <= 0 ? [] : [`${prefix} numgen random mod 10000 < ${n} ${drop}`];
  }
  // a TCP reset refuses at once; everything else gets ICMP port unreachable
  const tcp =
    protocol === 'all' || protocol === 'tcp'
      ? [`${prefix} meta l4proto tcp reject with tcp reset`.trim()]
      : [];
  return protocol === 'tcp' ? tcp : [...tcp, `${prefix} reject`.trim()];
}

function chainBody(spec: TableSpec, dir: 'egress' | 'ingress'): string[] {
  const lines: string[] = [];
  if (spec.whitelistSsh) {
    const ssh = `{ ${SSH_PORTS.join(', ')} }`;
    lines.push(`tcp sport ${ssh} accept`, `tcp dport ${ssh} accept`);
  }
  // a `drop` on the way out is reported to the sending socket (ENOBUFS: ping resends, TCP retries at
  // once); stolen by `fwd` to a down device, the packet vanishes as on a real wire. Ingress drops are
  // silent by nature.
  const drop = dir === 'egress' && spec.family === 'netdev' ? `fwd to ${quote(spec.sink ?? '')}` : 'drop';
  for (const m of matchLines(spec.match, dir, spec.family))
    lines.push(...verdictRules(m, spec.verdict, spec.match.protocol, drop));
  return lines;
}

/**
 * The whole inject script: `add table` + `delete table` first, so running it twice leaves one copy
 * (a plain re-definition would append duplicate rules), then the definition — one atomic commit.
 */
export function buildTableScript(spec: TableSpec): string {
  if (spec.verdict.type === 'reject' && spec.family !== 'inet') {
    throw new FaultlineError('FL_INTERNAL', 'reject needs an inet table (input/output hooks)');
  }
  if (dropsOnEgress(spec) && !spec.sink) {
    throw new FaultlineError('FL_INTERNAL', 'an egress drop needs a sink device (silent drops)');
  }
  const out = [
    `add table ${spec.family} ${spec.name}`,
    `delete table ${spec.family} ${spec.name}`,
    `table ${spec.family} ${spec.name} {`,
  ];
  const chain = (name: string, hook: string, extra: string[], body: string[]) => {
    out.push(`  chain ${name} {`, `    type filter hook ${hook} priority -10; policy accept;`);
    for (const l of body) out.push(`    ${[...extra, l].join(' ')}`);
    out.push('  }');
  };
  if (spec.family === 'netdev') {
    spec.interfaces.forEach((dev, i) => {
      if (spec.egress) chain(`egress_${i}`, `egress device ${quote(dev)}`, [], chainBody(spec, 'egress'));
      if (spec.ingress) chain(`ingress_${i}`, `ingress device ${quote(dev)}`, [], chainBody(spec, 'ingress'));
    });
  } else {
    const devs = `{ ${spec.interfaces.map(quote).join(', ')} }`;
    if (spec.egress) chain('output', 'output', [`oifname ${devs}`], chainBody(spec, 'egress'));
    if (spec.ingress) chain('input', 'input', [`iifname ${devs}`], chainBody(spec, 'ingress'));
  }
  out.push('}');
  return `${out.join('\n')}\n`;
}

/** Deletes the table in each family, and succeeds when it is already gone (a bare delete would exit 1). */
export function buildDeleteScript(name: string, families: readonly string[]): string {
  return families.map((f) => `add table ${f} ${name}\ndelete table ${f} ${name}\n`).join('');
}

/** Runs an nft script through `nft -f -`; throws with nft's own message. */
export async function applyScript(
  script: string,
  opts: NsOptions & { code?: 'FL_INJECT' | 'FL_REVERT' } = {},
): Promise<void> {
  const r = await nsRun('nft', ['-f', '-'], { ...opts, input: script });
  if (r.exitCode !== 0) {
    throw new FaultlineError(
      opts.code ?? 'FL_INJECT',
      `nft rejected the script (${r.command}): ${r.stderr.trim()}`,
      {
        details: { script },
      },
    );
  }
}

/** The tables in the namespace, as `family name` pairs. */
export async function listTables(opts: NsOptions = {}): Promise<{ family: string; name: string }[]> {
  const r = await nsRun('nft', ['-j', 'list', 'tables'], opts);
  if (r.exitCode !== 0)
    throw new FaultlineError('FL_REVERT', `could not list nft tables (${r.command}): ${r.stderr.trim()}`);
  const items = (
    JSON.parse(r.stdout || '{"nftables":[]}') as { nftables: { table?: { family: string; name: string } }[] }
  ).nftables;
  return items.flatMap((i) => (i.table ? [{ family: i.table.family, name: i.table.name }] : []));
}

/** Is a table of that name present in any of the families? */
export async function tablePresent(
  name: string,
  families: readonly string[],
  opts: NsOptions = {},
): Promise<boolean> {
  return (await listTables(opts)).some((t) => t.name === name && families.includes(t.family));
}

/** The shell line a person runs to delete the table by hand. */
export function manualDelete(
  name: string,
  families: readonly NftFamily[],
  namespace: string | undefined,
): string {
  const pre = namespace ? `ip netns exec ${namespace} ` : '';
  return families.map((f) => `${pre}nft delete table ${f} ${name}`).join('\n');
}
