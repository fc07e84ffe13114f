import { createHash, randomInt } from 'node:crypto';
import { FaultlineError } from '@faultline/core';
import { type NsOptions, nsRun } from './netns.js';
import { type ClassifierSpec, classifierLines } from './u32.js';

/** A qdisc as `tc -j qdisc show` reports it. */
export interface QdiscInfo {
  kind: string;
  handle: string;
  dev: string;
  root?: boolean;
  parent?: string;
}

/** A tc action as `tc -j filter show` reports it. */
export interface ActionInfo {
  kind: string;
  cookie?: string;
  /** mirred: the target device, `*` once that device is gone. */
  to_dev?: string;
  mirred_action?: string;
}

/** A filter as `tc -j filter show` reports it (one entry per u32 node; keys are read from the text form). */
export interface FilterInfo {
  protocol?: string;
  pref?: number;
  kind?: string;
  options?: { fh?: string; flowid?: string; actions?: ActionInfo[] };
}

/** The range faultline allocates root qdisc handles from (`f000:`–`ffee:`; `ffff:` is ingress). */
const HANDLE_MIN = 0xf000;
const HANDLE_MAX = 0xffee;

/** Is this a handle faultline allocates? */
export function isFaultlineHandle(handle: string): boolean {
  const m = handle.match(/^([0-9a-f]{1,4}):$/);
  const n = m ? Number.parseInt(m[1]!, 16) : -1;
  return n >= HANDLE_MIN && n <= HANDLE_MAX;
}

/**
 * A root handle free on every device the injection shapes, picked at random among the free ones
 * (and never one in `avoid`, e.g. an earlier iteration's): a handle names a qdisc only while it
 * exists, and ownership is checked by cookie, not by handle (see {@link injectionCookie}).
 */
export function allocateHandle(
  qdiscs: QdiscInfo[],
  devs: readonly string[],
  avoid: readonly string[] = [],
): string {
  const used = new Set([
    ...qdiscs.filter((q) => devs.includes(q.dev)).map((q) => q.handle.split(':')[0]!),
    ...avoid.map((h) => h.split(':')[0]!),
  ]);
  const start = randomInt(HANDLE_MIN, HANDLE_MAX + 1);
  for (let i = 0; i <= HANDLE_MAX - HANDLE_MIN; i++) {
    const n = HANDLE_MIN + ((start - HANDLE_MIN + i) % (HANDLE_MAX - HANDLE_MIN + 1));
    if (!used.has(n.toString(16))) return `${n.toString(16)}:`;
  }
  throw new FaultlineError('FL_INJECT', `no free qdisc handle in f000:-ffee: on ${devs.join(', ')}`);
}

const COOKIE_TAG = Buffer.from('fl').toString('hex');

/**
 * The tc action cookie that marks every tc object of an injection (16 bytes, what the kernel keeps):
 * `fl`, the run id's 8 characters of the object name, 6 bytes of a hash of the whole object name.
 * Any process reads it back (`tc -j filter show`), so ownership — and, in a refusal, whose run it
 * is — never depends on a handle or on a file.
 */
export function injectionCookie(objectName: string): string {
  const run8 = Buffer.alloc(8);
  run8.write((objectName.split('_')[1] ?? '').slice(0, 8), 'latin1');
  const hash = createHash('sha1').update(objectName).digest().subarray(0, 6);
  return Buffer.concat([Buffer.from('fl'), run8, hash]).toString('hex');
}

/** The run a faultline cookie names (the 8 characters of object names), or undefined for another cookie. */
export function cookieRun(cookie: string | undefined): string | undefined {
  if (cookie?.length !== 32 || !cookie.startsWith(COOKIE_TAG)) return undefined;
  return Buffer.from(cookie.slice(4, 20), 'hex').toString('latin1').replace(/\0+$/, '');
}

/** What shapes the targeted packets: the qdisc under the fault's class (`tbf rate ...`, `netem delay ...`). */
export interface ShapeSpec {
  leaf: string[];
}

/**
 * The `tc -batch` lines that install a shape on `dev` under root handle `h`: an htb root, right
 * after it a marker filter that never matches (IPv4 with IP version 0) and carries the injection's
 * cookie, one class that does not limit by itself, the shaping qdisc under it, and the classifier.
 * `add` (not `replace`) makes the kernel refuse when a root qdisc is already there: nothing of
 * anyone's is overwritten, with no window between a check and a write.
 */
export function shapeLines(
  dev: string,
  h: string,
  cookie: string,
  shape: ShapeSpec,
  classifier: ClassifierSpec,
): string[] {
  return [
    `qdisc add dev ${dev} root handle ${h} htb`,
    `filter add dev ${dev} parent ${h} protocol ip prio 1 u32 match u8 0 0xf0 at 0 action mirred egress mirror dev ${dev} cookie ${cookie}`,
    // the class only classifies: its rate must never be what limits (quantum set: no r2q warning)
    `class add dev ${dev} parent ${h} classid ${h}1 htb rate 100gbit quantum 60000`,
    `qdisc add dev ${dev} parent ${h}1 ${shape.leaf.join(' ')}`,
    ...classifierLines(dev, h, classifier),
  ];
}

/** The lines for ingress shaping: an ingress qdisc redirecting every packet to the ifb, marked with the cookie. */
export function ingressRedirectLines(dev: string, ifb: string, cookie: string): string[] {
  return [
    `qdisc add dev ${dev} handle ffff: ingress`,
    `filter add dev ${dev} parent ffff: protocol all prio 1 u32 match u32 0 0 action mirred egress redirect dev ${ifb} cookie ${cookie}`,
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

/** Every qdisc in the namespace (devices that are down, with `noop`, are not listed). */
export async function listQdiscs(
  opts: NsOptions & { code?: 'FL_INJECT' | 'FL_REVERT' } = {},
): Promise<QdiscInfo[]> {
  const r = await nsRun('tc', ['-j', 'qdisc', 'show'], opts);
  if (r.exitCode !== 0)
    throw new FaultlineError(
      opts.code ?? 'FL_REVERT',
      `could not list qdiscs (${r.command}): ${r.stderr.trim()}`,
    );
  return JSON.parse(r.stdout || '[]') as QdiscInfo[];
}

/** The filters under a qdisc (`parent H:`) or on the ingress hook; none when that qdisc is not there. */
export async function listFilters(dev: string, parent: string, opts: NsOptions = {}): Promise<FilterInfo[]> {
  const where = parent === 'ingress' ? ['ingress'] : ['parent', parent];
  const r = await nsRun('tc', ['-j', 'filter', 'show', 'dev', dev, ...where], opts);
  if (r.exitCode !== 0) return [];
  return JSON.parse(r.stdout || '[]') as FilterInfo[];
}

/** The actions of a filter list, flattened. */
export const actionsOf = (fs: FilterInfo[]): ActionInfo[] => fs.flatMap((f) => f.options?.actions ?? []);
