// Whose tc objects are on an interface, told by the cookies faultline puts on them, and how to
// remove exactly one injection's objects — also when part of them is already gone (an ifb deleted
// under its ingress redirect) and with no receipt at all.
import { FaultlineError } from '@faultline/core';
import { deleteLink } from './devices.js';
import type { NsOptions } from './netns.js';
import {
  type ActionInfo,
  actionsOf,
  cookieRun,
  isFaultlineHandle,
  listFilters,
  listQdiscs,
  type QdiscInfo,
  tcBatch,
} from './tc.js';

/** What is on one interface: its root qdisc unless the kernel default, its ingress hook, and their cookies. */
export interface DeviceState {
  dev: string;
  /** The root qdisc, when it is not the kernel default (handle `0:`). */
  root?: QdiscInfo;
  /** The faultline cookie under that root (its marker filter), if it has one. */
  rootCookie?: string;
  /** An ingress or clsact qdisc is there. */
  ingress: boolean;
  /** The actions of the ingress filters (mirred redirects, with their cookies and targets). */
  ingressActions: ActionInfo[];
  /** How many ingress filter nodes there are (0: an ingress qdisc with nothing in it). */
  ingressFilters: number;
}

/** Reads one interface's state from a qdisc listing; filters are read only where a qdisc is there. */
export async function readDevice(dev: string, qdiscs: QdiscInfo[], opts: NsOptions): Promise<DeviceState> {
  const mine = qdiscs.filter((q) => q.dev === dev);
  const root = mine.find((q) => q.root && q.handle !== '0:');
  const ingress = mine.some((q) => q.kind === 'ingress' || q.kind === 'clsact');
  const state: DeviceState = { dev, ingress, ingressActions: [], ingressFilters: 0 };
  if (root) {
    state.root = root;
    if (isFaultlineHandle(root.handle)) {
      const cookie = actionsOf(await listFilters(dev, root.handle, opts)).find((a) =>
        cookieRun(a.cookie),
      )?.cookie;
      if (cookie) state.rootCookie = cookie;
    }
  }
  if (ingress) {
    const fs = await listFilters(dev, 'ingress', opts);
    state.ingressActions = actionsOf(fs);
    state.ingressFilters = fs.filter((f) => f.options?.fh?.includes('::')).length;
  }
  return state;
}

/**
 * Reads only what an injection may have made on its interfaces — the filters under its root handle
 * and on the ingress hook — with no qdisc listing: a revert from a receipt needs one tc call per
 * hook, run in parallel.
 */
export async function readHooks(
  devs: readonly string[],
  handle: string,
  hooks: { root: boolean; ingress: boolean },
  opts: NsOptions,
): Promise<DeviceState[]> {
  return Promise.all(
    devs.map(async (dev): Promise<DeviceState> => {
      const [under, ingress] = await Promise.all([
        hooks.root ? listFilters(dev, handle, opts) : [],
        hooks.ingress ? listFilters(dev, 'ingress', opts) : [],
      ]);
      const rootCookie = actionsOf(under).find((a) => cookieRun(a.cookie))?.cookie;
      const state: DeviceState = {
        dev,
        ingress: ingress.length > 0,
        ingressActions: actionsOf(ingress),
        ingressFilters: ingress.filter((f) => f.options?.fh?.includes('::')).length,
      };
      return rootCookie ? { ...state, root: { kind: 'htb', handle, dev, root: true }, rootCookie } : state;
    }),
  );
}

/** Reads every listed interface. */
export async function readDevices(devs: readonly string[], opts: NsOptions): Promise<DeviceState[]> {
  const qdiscs = await listQdiscs(opts);
  return Promise.all(devs.map((d) => readDevice(d, qdiscs, opts)));
}

/** The faultline cookie on an interface's ingress hook, if any. */
export const ingressCookie = (s: DeviceState): string | undefined =>
  s.ingressActions.find((a) => cookieRun(a.cookie))?.cookie;

/**
 * Removes what carries one of `cookies`: roots whose marker has it, ingress hooks whose redirect has
 * it (the redirect to a deleted ifb too: it still carries the cookie, and left alone it drops every
 * packet that arrives), then the given ifb devices. `emptyIngress` names interfaces where an ingress
 * qdisc with no filter is ours too (inject failed between adding it and its filter).
 */
export async function removeOwned(
  cookies: ReadonlySet<string>,
  states: DeviceState[],
  ifbs: readonly string[],
  opts: NsOptions & { emptyIngress?: readonly string[] },
): Promise<void> {
  const lines: string[] = [];
  for (const s of states) {
    if (s.root && s.rootCookie && cookies.has(s.rootCookie))
      lines.push(`qdisc del dev ${s.dev} root handle ${s.root.handle}`);
    const ours = s.ingressActions.some((a) => a.cookie && cookies.has(a.cookie));
    if (s.ingress && (ours || (s.ingressFilters === 0 && opts.emptyIngress?.includes(s.dev))))
      lines.push(`qdisc del dev ${s.dev} ingress`);
  }
  if (lines.length) {
    const r = await tcBatch(lines, { ...opts, force: true });
    if (r.exitCode !== 0) {
      // something may have gone meanwhile (another revert of the same entry): only what is still ours fails
      const left = (
        await readDevices(
          states.map((s) => s.dev),
          opts,
        )
      ).filter(
        (s) =>
          (s.rootCookie && cookies.has(s.rootCookie)) ||
          s.ingressActions.some((a) => a.cookie && cookies.has(a.cookie)),
      );
      if (left.length)
        throw new FaultlineError(
          'FL_REVERT',
          `could not remove the tc objects on ${left.map((s) => s.dev).join(', ')}: ${r.stderr.trim()}`,
        );
    }
  }
  for (const ifb of ifbs) await deleteLink(ifb, opts);
}

/**
 * Throws the refusal for an interface whose root or ingress hook is taken. Another faultline run's is
 * named (and left alone: it is that run's to revert); anyone else's is described with its handle.
 */
export function refuseTaken(s: DeviceState, hook: 'root' | 'ingress', namespace: string | undefined): never {
  const where = `${s.dev}${namespace ? ` (namespace ${namespace})` : ''}`;
  const cookie = hook === 'root' ? s.rootCookie : ingressCookie(s);
  const run = cookieRun(cookie);
  const what =
    hook === 'root'
      ? `a root qdisc '${s.root?.kind}' handle ${s.root?.handle}`
      : 'an ingress qdisc (ingress shaping)';
  const details = { dev: s.dev, hook, handle: s.root?.handle ?? 'ffff:', run: run ?? null };
  if (run !== undefined) {
    throw new FaultlineError(
      'FL_INJECT',
      `${where} already has ${what} that faultline run ${run} made (its objects are named faultline_${run}_*): two shaping faults cannot share an interface's ${hook} hook. Run them one after the other or target another interface; that run reverts its own when it ends (if it died, \`faultline recover\` reverts it).`,
      { details },
    );
  }
  const remove = hook === 'root' ? `tc qdisc del dev ${s.dev} root` : `tc qdisc del dev ${s.dev} ingress`;
  throw new FaultlineError(
    'FL_INJECT',
    `${where} already has ${what} that faultline did not make: refusing to replace it. If it is not needed, remove it (${remove}); or choose another interface.`,
    { details },
  );
}
