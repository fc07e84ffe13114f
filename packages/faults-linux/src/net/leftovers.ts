import { readlinkSync, statSync } from 'node:fs';
import { OBJECT_PREFIX } from '@faultline/core';
import { listInterfaces, namespaceGone } from './netns.js';
import { listTables } from './nft.js';
import { findResolvers } from './resolver.js';
import { listQdiscs } from './tc.js';

/** Something a network fault made that is still there. */
export interface NetworkLeftover {
  type: 'nft-table' | 'qdisc' | 'ifb' | 'resolver';
  /** null: the namespace this process runs in; a resolver elsewhere shows its `net:[inode]`. */
  namespace: string | null;
  /** Table name, `dev handle`, ifb name, or resolver injection name. */
  name: string;
  /** The command a person runs to remove it. */
  remove: string;
}

/** faultline's root qdisc handles are `f000:`–`ffee:` (see faultHandle). */
const OUR_HANDLE = /^f[0-9a-f]{3}:$/;

/**
 * Finds what network faults left behind — faultline nft tables, faultline-handled tbf/htb/netem
 * root qdiscs, faultline* ifb devices — here and in the given namespaces, and faultline resolvers.
 */
export async function scanNetworkLeftovers(o: { namespaces?: string[] } = {}): Promise<NetworkLeftover[]> {
  const out: NetworkLeftover[] = [];
  for (const namespace of [undefined, ...(o.namespaces ?? [])]) {
    if (await namespaceGone(namespace)) continue;
    const p = namespace ? `ip netns exec ${namespace} ` : '';
    const ns = namespace ?? null;
    for (const t of await listTables({ namespace })) {
      if (t.name.startsWith(OBJECT_PREFIX))
        out.push({
          type: 'nft-table',
          namespace: ns,
          name: `${t.family} ${t.name}`,
          remove: `${p}nft delete table ${t.family} ${t.name}`,
        });
    }
    for (const q of await listQdiscs({ namespace })) {
      if (q.root && OUR_HANDLE.test(q.handle) && ['tbf', 'htb', 'netem'].includes(q.kind)) {
        out.push({
          type: 'qdisc',
          namespace: ns,
          name: `${q.dev} ${q.kind} ${q.handle}`,
          remove: `${p}tc qdisc del dev ${q.dev} root handle ${q.handle}`,
        });
      }
    }
    for (const l of await listInterfaces({ namespace })) {
      if (l.name.startsWith('faultline'))
        out.push({ type: 'ifb', namespace: ns, name: l.name, remove: `${p}ip link del ${l.name}` });
    }
  }
  // resolvers are processes: found host-wide, placed by their network namespace's inode
  const inode = (path: string) => {
    try {
      return path.startsWith('/proc') ? readlinkSync(path).replace(/\D/g, '') : String(statSync(path).ino);
    } catch {
      return undefined;
    }
  };
  const names = new Map<string | undefined, string | null>([[inode('/proc/self/ns/net'), null]]);
  for (const n of o.namespaces ?? []) names.set(inode(`/run/netns/${n}`), n);
  for (const r of findResolvers()) {
    if (!r.name.startsWith(OBJECT_PREFIX)) continue;
    const ino = inode(`/proc/${r.pid}/ns/net`);
    const namespace = names.has(ino) ? names.get(ino)! : `net:[${ino}]`;
    out.push({ type: 'resolver', namespace, name: r.name, remove: `kill ${r.pid}` });
  }
  return out;
}
