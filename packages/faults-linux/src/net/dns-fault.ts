import { defineFault, type FaultDefinition, type RevertContext } from '@faultline/core';
import * as v from 'valibot';
import type { EntriesOutput } from '../entries.js';
import { infraResponsive } from '../health/infra-responsive.js';
import { nftCapability } from './capability.js';
import { namespaceGone } from './netns.js';
import { applyScript, buildDeleteScript, tablePresent } from './nft.js';
import {
  findResolvers,
  flushDnsConntrack,
  type ResolverRules,
  redirectScript,
  resolverAlive,
  startResolver,
  stopResolver,
  systemUpstream,
} from './resolver.js';
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
  /** Where other queries go. Default: the namespace's first resolv.conf nameserver. */
  upstreamServer: v.optional(ipSchema),
  /** The DNS port intercepted (and the upstream's port). */
  port: v.optional(portSchema, 53),
  namespace: v.optional(namespaceSchema),
};

type DnsTunables = EntriesOutput<typeof dnsEntries>;

/** What revert needs: plain JSON. */
export interface DnsReceipt {
  [k: string]: string | number | null;
  namespace: string | null;
  table: string;
  port: number;
  pid: number;
  startTime: string;
  listenPort: number;
}

const FAMILY = ['ip'] as const;

function target(receipt: DnsReceipt | undefined, ctx: RevertContext<unknown>) {
  const t = ctx.tunables as Partial<DnsTunables> | undefined;
  return {
    namespace: receipt ? (receipt.namespace ?? undefined) : t?.namespace,
    table: receipt?.table ?? ctx.objectName,
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

/**
 * A DNS fault: a resolver this fault runs answers the matching names, and an nft nat table redirects
 * port 53 to it (other names are forwarded upstream). Revert deletes the table, forgets the DNS
 * flows in conntrack and stops the resolver.
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
      const upstream = t.upstreamServer ?? systemUpstream(t.namespace);
      const r = await startResolver({
        ...ns,
        name: ctx.objectName,
        upstream,
        upstreamPort: t.port,
        rules: o.rules(ctx.tunables),
      });
      const receipt: DnsReceipt = {
        namespace: t.namespace ?? null,
        table: ctx.objectName,
        port: t.port,
        pid: r.pid,
        startTime: r.startTime,
        listenPort: r.listenPort,
      };
      try {
        await applyScript(redirectScript(ctx.objectName, t.port, r), ns);
        await flushDnsConntrack(t.port, ns);
      } catch (e) {
        await stopResolver(r.pid, r.startTime).catch(() => {});
        throw e;
      }
      return receipt;
    },
    async revert(receipt, ctx) {
      const { namespace, table, port } = target(receipt, ctx);
      const opts = { namespace, signal: ctx.signal };
      if (!(await namespaceGone(namespace))) {
        await applyScript(buildDeleteScript(table, FAMILY), { ...opts, code: 'FL_REVERT' });
        await flushDnsConntrack(port, opts);
      }
      for (const p of resolversOf(receipt, ctx.objectName)) await stopResolver(p.pid, p.startTime);
    },
    async present(receipt, ctx) {
      const { namespace, table } = target(receipt, ctx);
      if (resolversOf(receipt, ctx.objectName).length > 0) return true;
      if (await namespaceGone(namespace)) return false;
      return tablePresent(table, FAMILY, { namespace });
    },
    manual(receipt, ctx) {
      const { namespace, table, port } = target(receipt, ctx);
      const p = namespace ? `ip netns exec ${namespace} ` : '';
      const kill = receipt
        ? `kill ${receipt.pid}   # only if /proc/${receipt.pid}/stat field 22 is still ${receipt.startTime}`
        : `pkill -f '"name":"${table}"'   # the resolver-server.mjs process of this injection`;
      return [
        `${p}nft delete table ip ${table}`,
        `${p}conntrack -D -p udp --dport ${port}`,
        `${p}conntrack -D -p tcp --dport ${port}`,
        kill,
      ].join('\n');
    },
    healthCheck: () => infraResponsive(),
  });
}
