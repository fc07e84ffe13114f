import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { FaultlineError } from '@faultline/core';
import { type NsOptions, nsRun } from './netns.js';

/** A qdisc as `tc -j qdisc show` reports it. */
export interface QdiscInfo {
  kind: string;
  handle: string;
  dev: string;
  root?: boolean;
  parent?: string;
}

const hash = (s: string) => createHash('sha1').update(s).digest();

/**
 * The root qdisc handle of an injection: `fXXX:` from a hash of its object name, so revert deletes
 * only a qdisc it made (the kernel refuses `del ... handle H:` when the root has another handle).
 */
export function faultHandle(objectName: string): string {
  return `${(0xf000 + (hash(objectName).readUInt16BE(0) % 0xfef)).toString(16)}:`;
}

/** The ifb device of an injection on one interface: `faultline` + 6 hex (IFNAMSIZ allows 15). */
export function ifbName(objectName: string, dev: string): string {
  return `faultline${hash(`${objectName}/${dev}`).toString('hex').slice(0, 6)}`;
}

/** What shapes the matched traffic: a root qdisc alone, or htb + u32 filters for named destinations. */
export interface ShapeSpec {
  /** Root qdisc argv when every packet is shaped (`tbf rate ...`, `netem delay ...`). */
  qdisc: string[];
  /** htb class argv when only destinations are shaped (`rate R ceil R burst B`). */
  classArgs: string[];
  /** A qdisc under the htb class (netem), if the class alone does not do it. */
  leaf?: string[];
}

/**
 * The `tc -batch` lines that install a shape on `dev` under handle `h`. `add` (not `replace`) makes
 * the kernel refuse when someone else's root qdisc is there ("Exclusivity flag on"): nothing of
 * theirs is overwritten, with no window between a check and a write.
 */
export function shapeBatch(
  dev: string,
  h: string,
  s: ShapeSpec,
  remoteIps: string[],
  remoteIs: 'dst' | 'src',
): string[] {
  if (remoteIps.length === 0) return [`qdisc add dev ${dev} root handle ${h} ${s.qdisc.join(' ')}`];
  // no default class: unclassified traffic goes out directly at full speed (a default class would share the link)
  const lines = [
    `qdisc add dev ${dev} root handle ${h} htb`,
    `class add dev ${dev} parent ${h} classid ${h}1 htb ${s.classArgs.join(' ')}`,
  ];
  if (s.leaf) lines.push(`qdisc add dev ${dev} parent ${h}1 ${s.leaf.join(' ')}`);
  for (const ip of remoteIps) {
    const v6 = isIP(ip.split('/')[0] ?? '') === 6;
    lines.push(
      `filter add dev ${dev} parent ${h} protocol ${v6 ? 'ipv6' : 'ip'} prio 1 u32 match ${v6 ? 'ip6' : 'ip'} ${remoteIs} ${ip} flowid ${h}1`,
    );
  }
  return lines;
}

/** The ifb lines for ingress shaping: an ingress qdisc redirecting every packet to the ifb. */
export function ingressRedirectBatch(dev: string, ifb: string): string[] {
  return [
    `qdisc add dev ${dev} handle ffff: ingress`,
    `filter add dev ${dev} parent ffff: protocol all u32 match u32 0 0 action mirred egress redirect dev ${ifb}`,
  ];
}

/** Runs tc lines in one process (`tc -batch -`); `force` goes on past errors (revert). */
export async function tcBatch(lines: string[], opts: NsOptions & { force?: boolean } = {}) {
  // one line: plain argv, which tc runs faster than its batch reader (every token was schema-checked)
  if (lines.length === 1) return nsRun('tc', lines[0]!.split(' '), opts);
  return nsRun('tc', [...(opts.force ? ['-force'] : []), '-batch', '-'], {
    ...opts,
    input: `${lines.join('\n')}\n`,
  });
}

/** Every qdisc in the namespace. */
export async function listQdiscs(opts: NsOptions = {}): Promise<QdiscInfo[]> {
  const r = await nsRun('tc', ['-j', 'qdisc', 'show'], opts);
  if (r.exitCode !== 0)
    throw new FaultlineError('FL_REVERT', `could not list qdiscs (${r.command}): ${r.stderr.trim()}`);
  return JSON.parse(r.stdout || '[]') as QdiscInfo[];
}

/** The root qdisc of one device (`tc -j qdisc show dev X root`). */
export async function rootQdisc(dev: string, opts: NsOptions = {}): Promise<QdiscInfo | undefined> {
  const r = await nsRun('tc', ['-j', 'qdisc', 'show', 'dev', dev, 'root'], opts);
  if (r.exitCode !== 0)
    throw new FaultlineError(
      'FL_INJECT',
      `could not read the root qdisc of ${dev} (${r.command}): ${r.stderr.trim()}`,
    );
  const list = JSON.parse(r.stdout || '[]') as QdiscInfo[];
  return list.find((q) => q.root) ?? list[0];
}

/** Does an ingress (or clsact) qdisc exist on the device, and does it redirect to this ifb? */
export async function ingressState(
  dev: string,
  ifb: string,
  opts: NsOptions = {},
): Promise<{ exists: boolean; ours: boolean }> {
  const q = await nsRun('tc', ['-j', 'qdisc', 'show', 'dev', dev, 'ingress'], opts);
  const exists = q.exitCode === 0 && (JSON.parse(q.stdout || '[]') as QdiscInfo[]).length > 0;
  if (!exists) return { exists, ours: false };
  const f = await nsRun('tc', ['filter', 'show', 'dev', dev, 'ingress'], opts);
  return { exists, ours: f.stdout.includes(`dev ${ifb}`) || f.stdout.includes(`device ${ifb}`) };
}

/** Throws the clear refusal for a root qdisc someone else made. */
export function refuseForeign(dev: string, q: QdiscInfo, namespace: string | undefined): never {
  throw new FaultlineError(
    'FL_INJECT',
    `${dev}${namespace ? ` (namespace ${namespace})` : ''} already has a root qdisc '${q.kind}' handle ${q.handle} that faultline did not make: refusing to replace it. Remove it (tc qdisc del dev ${dev} root) or choose another interface.`,
    { details: { dev, kind: q.kind, handle: q.handle } },
  );
}
