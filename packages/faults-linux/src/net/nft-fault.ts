import { defineFault, type FaultDefinition, type RevertContext } from '@faultline/core';
import type * as v from 'valibot';
import { nftCapability } from './capability.js';
import { addIfb, deleteLink, deviceName } from './devices.js';
import { networkHealthCheck } from './health.js';
import { linkExists, namespaceGone, requireNamespace, resolveHosts, targetInterfaces } from './netns.js';
import {
  applyScript,
  buildDeleteScript,
  buildTableScript,
  dropsOnEgress,
  manualDelete,
  NFT_FAMILIES,
  type NftFamily,
  tablePresent,
  type Verdict,
} from './nft.js';
import { type Direction, parsePortSelector, type TargetTunables } from './tunables.js';

/** What revert needs to delete an nft fault: plain JSON. */
export interface NftReceipt {
  [k: string]: string | null | string[] | Record<string, string[]>;
  namespace: string | null;
  table: string;
  family: NftFamily;
  interfaces: string[];
  direction: Direction;
  /** Host names as resolved at inject. */
  resolved: Record<string, string[]>;
  /** The down ifb egress drops are forwarded to (silent drops), or null when the table drops nothing on egress. */
  sink: string | null;
}

/** How one nft fault turns its tunables into a table. */
export interface NftFaultOptions<S extends v.GenericSchema<unknown, Tun>> {
  kind: string;
  summary: string;
  tunables: S;
  /** The verdict and the table family for these tunables. */
  plan(t: v.InferOutput<S>): { verdict: Verdict; family: NftFamily; direction: Direction };
}

type Tun = TargetTunables & { direction: Direction };

/** Where a revert acts: the receipt's namespace, else the one the journal's tunables name. */
function where(receipt: NftReceipt | undefined, ctx: RevertContext<unknown>): string | undefined {
  if (receipt) return receipt.namespace ?? undefined;
  return (ctx.tunables as Partial<Tun> | undefined)?.namespace;
}

/** The sink of an injection: the receipt's, else the name derived from the ids (a receipt-less revert). */
function sinkOf(receipt: NftReceipt | undefined, objectName: string): string | null {
  // receipts written before sinks existed have no `sink` key: nothing to remove
  if (receipt) return receipt.sink ?? null;
  return deviceName(objectName, 'sink');
}

/**
 * Builds a packet-filter fault: one nft table named after the injection, deleted whole on revert —
 * one atomic commit, and it can't touch rules that other tools own.
 */
export function nftFault<S extends v.GenericSchema<unknown, Tun>>(
  o: NftFaultOptions<S>,
): FaultDefinition<S, NftReceipt> {
  return defineFault<S, NftReceipt>({
    kind: o.kind,
    summary: o.summary,
    tunables: o.tunables,
    check: () => nftCapability({ sink: true }),
    async inject(ctx) {
      const t: Tun = ctx.tunables;
      const plan = o.plan(ctx.tunables);
      const ns = { namespace: t.namespace, signal: ctx.signal };
      await requireNamespace(t.namespace);
      const egress = plan.direction !== 'ingress';
      const sink = dropsOnEgress({ family: plan.family, egress, verdict: plan.verdict })
        ? deviceName(ctx.objectName, 'sink')
        : null;
      // interfaces are listed, named or not: a netdev hook on a device that does not exist loads
      // without a word (a dormant hook) and an inet table matches names, so a typo would inject
      // nothing. The sink is made meanwhile: `fwd to` needs it when the table loads.
      const [listed, hosts, made] = await Promise.allSettled([
        targetInterfaces(t.interfaces, ns),
        resolveHosts(t.destinationHosts, ns),
        sink ? addIfb(sink, ctx.objectName, { ...ns, up: false }) : Promise.resolve(),
      ]);
      if (listed.status === 'rejected' || hosts.status === 'rejected' || made.status === 'rejected') {
        if (sink && made.status === 'fulfilled') await deleteLink(sink, ns).catch(() => {});
        throw [listed, hosts, made].find((r) => r.status === 'rejected')!.reason;
      }
      const interfaces = listed.value;
      const resolved = hosts.value;
      const remoteIps = [...t.destinationIps, ...Object.values(resolved).flat()];
      const spec = {
        name: ctx.objectName,
        family: plan.family,
        interfaces,
        egress,
        ingress: plan.direction !== 'egress',
        whitelistSsh: t.whitelistSsh,
        verdict: plan.verdict,
        match: {
          remoteIps,
          protocol: t.protocol,
          localPorts: t.sourcePorts.map((p) => parsePortSelector(p)!),
          remotePorts: t.destinationPorts.map((p) => parsePortSelector(p)!),
        },
      };
      const script = buildTableScript({ ...spec, sink: sink ?? undefined });
      ctx.log.debug('nft script', { script });
      try {
        await applyScript(script, ns);
      } catch (e) {
        if (sink) await deleteLink(sink, ns).catch(() => {});
        throw e;
      }
      return {
        namespace: t.namespace ?? null,
        table: ctx.objectName,
        family: plan.family,
        interfaces,
        direction: plan.direction,
        resolved,
        sink,
      };
    },
    async revert(receipt, ctx) {
      const namespace = where(receipt, ctx);
      const name = receipt?.table ?? ctx.objectName;
      const opts = { namespace, signal: ctx.signal };
      const sink = sinkOf(receipt, ctx.objectName);
      // table and sink at once: a `fwd` to a device that is gone frees the packet too, so drops stay
      // silent in between
      const done = await Promise.allSettled([
        applyScript(buildDeleteScript(name, receipt ? [receipt.family] : NFT_FAMILIES), {
          ...opts,
          code: 'FL_REVERT',
        }),
        sink ? deleteLink(sink, opts) : Promise.resolve(),
      ]);
      const failed = done.find((r) => r.status === 'rejected');
      if (failed && !(await namespaceGone(namespace))) throw failed.reason;
    },
    async present(receipt, ctx) {
      const namespace = where(receipt, ctx);
      if (await namespaceGone(namespace)) return false;
      const sink = sinkOf(receipt, ctx.objectName);
      if (sink && (await linkExists(sink, { namespace }))) return true;
      return tablePresent(receipt?.table ?? ctx.objectName, receipt ? [receipt.family] : NFT_FAMILIES, {
        namespace,
      });
    },
    manual(receipt, ctx) {
      const namespace = where(receipt, ctx);
      const sink = sinkOf(receipt, ctx.objectName);
      const lines = [
        manualDelete(receipt?.table ?? ctx.objectName, receipt ? [receipt.family] : NFT_FAMILIES, namespace),
      ];
      if (sink) lines.push(`${namespace ? `ip netns exec ${namespace} ` : ''}ip link del ${sink}`);
      return lines.join('\n');
    },
    healthCheck: networkHealthCheck,
  });
}
