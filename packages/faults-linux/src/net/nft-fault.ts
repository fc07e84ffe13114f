import { defineFault, type FaultDefinition, type RevertContext } from '@faultline/core';
import type * as v from 'valibot';
import { nftCapability } from './capability.js';
import { networkHealthCheck } from './health.js';
import { namespaceGone, resolveHosts, targetInterfaces } from './netns.js';
import {
  applyScript,
  buildDeleteScript,
  buildTableScript,
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
    check: () => nftCapability(),
    async inject(ctx) {
      const t: Tun = ctx.tunables;
      const plan = o.plan(ctx.tunables);
      const ns = { namespace: t.namespace, signal: ctx.signal };
      // named interfaces are checked by nft itself in a netdev table (a missing device fails the load);
      // an inet table matches by name and would silently match nothing, so those are listed first
      const interfaces =
        t.interfaces?.length && plan.family === 'netdev'
          ? [...new Set(t.interfaces)]
          : await targetInterfaces(t.interfaces, ns);
      const resolved = await resolveHosts(t.destinationHosts, ns);
      const remoteIps = [...t.destinationIps, ...Object.values(resolved).flat()];
      const script = buildTableScript({
        name: ctx.objectName,
        family: plan.family,
        interfaces,
        egress: plan.direction !== 'ingress',
        ingress: plan.direction !== 'egress',
        whitelistSsh: t.whitelistSsh,
        verdict: plan.verdict,
        match: {
          remoteIps,
          protocol: t.protocol,
          localPorts: t.sourcePorts.map((p) => parsePortSelector(p)!),
          remotePorts: t.destinationPorts.map((p) => parsePortSelector(p)!),
        },
      });
      ctx.log.debug('nft script', { script });
      await applyScript(script, ns);
      return {
        namespace: t.namespace ?? null,
        table: ctx.objectName,
        family: plan.family,
        interfaces,
        direction: plan.direction,
        resolved,
      };
    },
    async revert(receipt, ctx) {
      const namespace = where(receipt, ctx);
      const name = receipt?.table ?? ctx.objectName;
      try {
        await applyScript(buildDeleteScript(name, receipt ? [receipt.family] : NFT_FAMILIES), {
          namespace,
          signal: ctx.signal,
          code: 'FL_REVERT',
        });
      } catch (e) {
        if (await namespaceGone(namespace)) return;
        throw e;
      }
    },
    async present(receipt, ctx) {
      const namespace = where(receipt, ctx);
      if (await namespaceGone(namespace)) return false;
      return tablePresent(receipt?.table ?? ctx.objectName, receipt ? [receipt.family] : NFT_FAMILIES, {
        namespace,
      });
    },
    manual(receipt, ctx) {
      return manualDelete(
        receipt?.table ?? ctx.objectName,
        receipt ? [receipt.family] : NFT_FAMILIES,
        where(receipt, ctx),
      );
    },
    healthCheck: networkHealthCheck,
  });
}
