import { defineFault, type FaultDefinition, type RevertContext } from '@faultline/core';
import * as v from 'valibot';
import type { EntriesOutput } from '../entries.js';
import { infraResponsive } from '../health/infra-responsive.js';
import { nftCapability } from './capability.js';
import {
  allocateGid,
  dnsTables,
  flushDnsConntrack,
  isLoopback,
  RESOLVER_UID,
  redirectScript,
  stubOwners,
  systemNameservers,
} from './dns-redirect.js';
import { namespaceGone, requireNamespace } from './netns.js';
import { applyScript, buildDeleteScript, tablePresent } from './nft.js';
import { findResolvers, type ResolverRules, resolverAlive, startResolver, stopResolver } from './resolver.js';
import { ipSchema, namespaceSchema, portSchema } from './tunables.js';

/** A name or part of one to match (`api.example.com`, `example`). */
export const dnsNameSchema = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,252}$/, 'a DNS name: letters, digits, _ - and dots'),
);

/** The tunables both DNS faults share (Harness names). */
export const dnsEntries = {
  /** `exact`: the whole name; `substring`: any name containing it. */
  matchScheme: v.optional(v.picklist(['exact', 'substring']), 'exact'),
  /** Where other queries go. Default: every nameserver of the namespace's resolv.conf, in order. */
  upstreamServer: v.optional(ipSchema),
  /** The DNS port intercepted (and the upstreams' port). */
  port: v.optional(portSchema, 53),
  namespace: v.optional(namespaceSchema),
};

type DnsTunables = EntriesOutput<typeof dnsEntries>;

/** What revert needs: plain JSON. */
export interface DnsReceipt {
  [k: string]: string | number | null | string[];
  namespace: string | null;
  table: string;
  /** nft family of the table: `inet` (IPv4 and IPv6). Receipts from before IPv6 have none: `ip`. */
  family: string;
  port: number;
  pid: number;
  startTime: string;
  listenPort: number;
  /** The resolver's group, exempted by this and later DNS faults' tables. */
  gid: number;
  /** Where untargeted queries go, in order. */
  upstreams: string[];
}

/** Families a receipt-less revert deletes in (`ip`: tables made before IPv6 was handled). */
const FAMILIES = ['inet', 'ip'] as const;

function target(receipt: DnsReceipt | undefined, ctx: RevertContext<unknown>) {
  const t = ctx.tunables as Partial<DnsTunables> | undefined;
  return {
    namespace: receipt ? (receipt.namespace ?? undefined) : t?.namespace,
    table: receipt?.table ?? ctx.objectName,
    families: receipt ? [receipt.family ?? 'ip'] : [...FAMILIES],
    port: receipt?.port ?? t?.port ?? 53,
  };
}

/** The resolvers of this injection: the receipt's (if still that process), else found by name in /proc. */
function resolversOf(
  receipt: DnsReceipt | undefined,
  objectName: string,
): { pid: number; startTime: string }[] {
  if (receipt) return resolverAlive(receipt.pid, receipt.startTime) ? [receipt] : [];
  return findResolvers().filter((r) => r.name === objectName);
}

// DNS injections into one namespace run one at a time: each reads which resolvers and tables are
// there before it, and two reading at once would each miss the other (and forward to it in a loop)
const locks = new Map<string, Promise<unknown>>();
function serialized<T>(namespace: string | undefined, body: () => Promise<T>): Promise<T> {
  const key = namespace ?? '';
  const run = (locks.get(key) ?? Promise.resolve()).then(body, body);
  const tail = run.catch(() => {});
  locks.set(key, tail);
  void tail.then(() => locks.get(key) === tail && locks.delete(key));
  return run;
}

/**
 * A DNS fault: a resolver this fault runs answers the matching names, and an nft nat table redirects
 * port 53 to it (other names are forwarded to the upstreams). Revert deletes the table, forgets the
 * DNS flows in conntrack and stops the resolver.
 */
export function dnsFault<S extends v.GenericSchema<unknown, DnsTunables>>(o: {
  kind: string;
  summary: string;
  tunables: S;
  rules(t: v.InferOutput<S>): ResolverRules;
}): FaultDefinition<S, DnsReceipt> {
  return defineFault<S, DnsReceipt>({
    kind: o.kind,
    summary: o.summary,
    tunables: o.tunables,
    check: () => nftCapability(),
    async inject(ctx) {
      const t: DnsTunables = ctx.tunables;
      const ns = { namespace: t.namespace, signal: ctx.signal };
      await requireNamespace(t.namespace);
      return serialized(t.namespace, async () => {
        const nameservers = t.upstreamServer ? [t.upstreamServer] : systemNameservers(t.namespace);
        const stubs = nameservers.filter(isLoopback);
        const [tables, stubUids] = await Promise.all([dnsTables(ns), stubOwners(stubs, t.port, ns)]);
        // a retry of this same injection: its earlier resolver goes first (the only case that scans /proc)
        if (tables.some((x) => x.table === ctx.objectName))
          for (const old of findResolvers().filter((x) => x.name === ctx.objectName))
            await stopResolver(old.pid, old.startTime);
        const others = tables.filter((x) => x.table !== ctx.objectName);
        // the resolvers already here are the groups the other tables let through (each its own and
        // those before it); a new group is one none of them has
        const before = [...new Set(others.flatMap((x) => x.gids))];
        const gid = allocateGid(before);
        const r = await startResolver({
          ...ns,
          name: ctx.objectName,
          upstreams: nameservers.map((host) => ({ host, port: t.port })),
          rules: o.rules(ctx.tunables),
          gid,
          uid: RESOLVER_UID,
        });
        const receipt: DnsReceipt = {
          namespace: t.namespace ?? null,
          table: ctx.objectName,
          family: 'inet',
          port: t.port,
          pid: r.pid,
          startTime: r.startTime,
          listenPort: r.listenPort,
          gid,
          upstreams: nameservers,
        };
        // a stub run by root cannot be told apart from other root processes: then only the queries
        // sent to the stub are redirected, and the stub's own upstream queries pass
        const rootStub = stubUids.includes(0);
        try {
          const script = redirectScript({
            table: ctx.objectName,
            port: t.port,
            listenPort: r.listenPort,
            priority: Math.min(-100, ...others.map((x) => x.priority)) - 1,
            exemptGids: [...before, gid],
            exemptUids: rootStub ? [] : stubUids,
            ...(rootStub ? { onlyTo: stubs } : {}),
          });
          ctx.log.debug('nft script', { script });
          await applyScript(script, ns);
          await flushDnsConntrack(t.port, ns);
        } catch (e) {
          await applyScript(buildDeleteScript(ctx.objectName, ['inet']), ns).catch(() => {});
          await stopResolver(r.pid, r.startTime).catch(() => {});
          throw e;
        }
        return receipt;
      });
    },
    async revert(receipt, ctx) {
      const { namespace, table, port, families } = target(receipt, ctx);
      const opts = { namespace, signal: ctx.signal };
      if (!(await namespaceGone(namespace))) {
        await applyScript(buildDeleteScript(table, families), { ...opts, code: 'FL_REVERT' });
        await flushDnsConntrack(port, opts);
      }
      for (const p of resolversOf(receipt, ctx.objectName)) await stopResolver(p.pid, p.startTime);
    },
    async present(receipt, ctx) {
      const { namespace, table, families } = target(receipt, ctx);
      if (resolversOf(receipt, ctx.objectName).length > 0) return true;
      if (await namespaceGone(namespace)) return false;
      return tablePresent(table, families, { namespace });
    },
    manual(receipt, ctx) {
      const { namespace, table, port, families } = target(receipt, ctx);
      const p = namespace ? `ip netns exec ${namespace} ` : '';
      const kill = receipt
        ? `kill ${receipt.pid}   # only if /proc/${receipt.pid}/stat field 22 is still ${receipt.startTime}`
        : `pkill -f '"name":"${table}"'   # the resolver-server.mjs process of this injection`;
      return [
        ...families.map((f) => `${p}nft delete table ${f} ${table}`),
        ...['ipv4', 'ipv6'].flatMap((f) =>
          ['udp', 'tcp'].map((pr) => `${p}conntrack -D -f ${f} -p ${pr} --dport ${port}`),
        ),
        kill,
      ].join('\n');
    },
    healthCheck: () => infraResponsive(),
  });
}
