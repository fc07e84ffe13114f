import { OBJECT_PREFIX } from '@faultline/core';
import {
  DEVICE_PREFIX,
  listInterfaces,
  type NsOptions,
  namespaceGone,
  netnsInode,
  processNetnsInode,
} from './netns.js';
import { listTables } from './nft.js';
import { findResolvers } from './resolver.js';
import { cookieRun, isFaultlineHandle, listQdiscs } from './tc.js';
import { readDevice } from './tc-state.js';

/** Something a network fault made that is still there. */
export interface NetworkLeftover {
  type: 'nft-table' | 'qdisc' | 'ingress-redirect' | 'ifb' | 'resolver';
  /** null: the namespace this process runs in; a resolver elsewhere shows its `net:[inode]`. */
  namespace: string | null;
  /** Table name, `dev hook kind handle (run)`, the ifb's object name, or the resolver's injection name. */
  name: string;
  /** The command a person runs to remove it. */
  remove: string;
}

/** What is left in one namespace: nft tables, tc objects, faultline devices. */
async function scanNamespace(namespace: string | undefined): Promise<NetworkLeftover[]> {
  const out: NetworkLeftover[] = [];
  const p = namespace ? `ip netns exec ${namespace} ` : '';
  const ns = namespace ?? null;
  const opts: NsOptions = { namespace };
  for (const t of await listTables(opts)) {
    if (t.name.startsWith(OBJECT_PREFIX))
      out.push({
        type: 'nft-table',
        namespace: ns,
        name: `${t.family} ${t.name}`,
        remove: `${p}nft delete table ${t.family} ${t.name}`,
      });
  }
  const [links, qdiscs] = await Promise.all([listInterfaces(opts), listQdiscs(opts)]);
  const run = (cookie: string | undefined) =>
    cookieRun(cookie) ? `, faultline run ${cookieRun(cookie)}` : '';
  for (const dev of new Set(
    qdiscs.filter((q) => q.root || q.kind === 'ingress' || q.kind === 'clsact').map((q) => q.dev),
  )) {
    const s = await readDevice(dev, qdiscs, opts);
    // faultline allocates root handles in f000:-ffee: (a marker cookie names the run; an older
    // faultline's hashed handles have none)
    if (s.root && isFaultlineHandle(s.root.handle)) {
      out.push({
        type: 'qdisc',
        namespace: ns,
        name: `${dev} root ${s.root.kind} ${s.root.handle}${run(s.rootCookie)}`,
        remove: `${p}tc qdisc del dev ${dev} root handle ${s.root.handle}`,
      });
    }
    // a redirect to a device that is gone drops everything that arrives: a leftover whoever made it
    const cookie = s.ingressActions.find((a) => cookieRun(a.cookie))?.cookie;
    const broken = s.ingressActions.filter((a) => a.kind === 'mirred' && a.to_dev === '*');
    if (cookie || broken.length) {
      const target = s.ingressActions.find((a) => a.kind === 'mirred')?.to_dev;
      out.push({
        type: 'ingress-redirect',
        namespace: ns,
        name: `${dev} ingress redirect to ${target === '*' ? 'a device that no longer exists' : target}${run(cookie)}`,
        remove: cookie
          ? `${p}tc qdisc del dev ${dev} ingress`
          : `${p}tc filter show dev ${dev} ingress   # then: ${p}tc filter del dev ${dev} ingress pref <pref of the mirred to *>`,
      });
    }
  }
  for (const l of links) {
    if (l.name.startsWith(DEVICE_PREFIX))
      out.push({ type: 'ifb', namespace: ns, name: l.alias ?? l.name, remove: `${p}ip link del ${l.name}` });
  }
  return out;
}

/**
 * Finds what network faults left behind — faultline nft tables, root qdiscs with faultline handles,
 * ingress redirects that carry a faultline cookie or point at a device that is gone, faultline*
 * devices (sinks, ifbs) — here and in the given namespaces, and faultline resolvers.
 */
export async function scanNetworkLeftovers(o: { namespaces?: string[] } = {}): Promise<NetworkLeftover[]> {
  const out: NetworkLeftover[] = [];
  for (const namespace of [undefined, ...(o.namespaces ?? [])]) {
    if (await namespaceGone(namespace)) continue;
    out.push(...(await scanNamespace(namespace)));
  }
  // resolvers are processes: found host-wide, placed by their network namespace's inode
  const names = new Map<string | undefined, string | null>([[netnsInode(undefined), null]]);
  for (const n of o.namespaces ?? []) names.set(netnsInode(n), n);
  for (const r of findResolvers()) {
    if (!r.name.startsWith(OBJECT_PREFIX)) continue;
    const ino = processNetnsInode(r.pid);
    const namespace = names.has(ino) ? names.get(ino)! : `net:[${ino}]`;
    out.push({ type: 'resolver', namespace, name: r.name, remove: `kill ${r.pid}` });
  }
  return out;
}
