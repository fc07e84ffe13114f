import { type Capability, defineFault, type FaultDefinition, type RevertContext } from '@faultline/core';
import * as v from 'valibot';
import { deviceName } from './devices.js';
import { networkHealthCheck } from './health.js';
import { listInterfaces, type NsOptions, namespaceGone } from './netns.js';
import { injectionCookie, type ShapeSpec } from './tc.js';
import { injectShape, type ShapeTunables } from './tc-inject.js';
import { type DeviceState, ingressCookie, readDevices, readHooks, removeOwned } from './tc-state.js';
import { type Direction, directionSchema, targetEntries } from './tunables.js';

/**
 * The tunables every tc fault shares: the nft faults' targets (interfaces, destinations, ports,
 * protocol, whitelistSsh, namespace) — the same schemas — and which way (default egress).
 */
export const shapeTargetEntries = {
  ...targetEntries,
  /** egress (the interface's root qdisc), ingress (through an ifb device), or both. */
  direction: v.optional(directionSchema, 'egress'),
};

/** What revert needs: plain JSON. `previous` is the kernel default (handle 0:) — `add` refuses anything else. */
export interface ShapeReceipt {
  [k: string]: string | null | string[] | Record<string, string> | Record<string, string[]>;
  namespace: string | null;
  /** The root handle allocated at inject (free on every interface then). */
  handle: string;
  /** The tc action cookie on every object of this injection: what revert checks before deleting. */
  cookie: string;
  direction: Direction;
  interfaces: string[];
  /** interface → ifb device carrying its ingress traffic. */
  ifbs: Record<string, string>;
  /** interface → root qdisc handle found before inject (always the kernel default `0:`). */
  previous: Record<string, string>;
  resolved: Record<string, string[]>;
}

/** How one tc fault turns its tunables into a shape. */
export interface TcFaultOptions<S extends v.GenericSchema> {
  kind: string;
  summary: string;
  tunables: S;
  check(kind: string): Promise<Capability>;
  shape(t: v.InferOutput<S>): ShapeSpec;
}

const pre = (ns: string | undefined) => (ns ? `ip netns exec ${ns} ` : '');

function where(receipt: ShapeReceipt | undefined, ctx: RevertContext<unknown>): string | undefined {
  if (receipt) return receipt.namespace ?? undefined;
  return (ctx.tunables as Partial<ShapeTunables> | undefined)?.namespace;
}

/**
 * What one injection owns in the namespace, found by its cookie: with a receipt on its interfaces,
 * without one on every interface (ifbs by their derived names).
 */
async function owned(
  receipt: ShapeReceipt | undefined,
  name: string,
  opts: NsOptions,
): Promise<{ states: DeviceState[]; ifbs: string[]; cookie: string }> {
  const cookie = receipt?.cookie ?? injectionCookie(name);
  if (receipt) {
    const hooks = { root: receipt.direction !== 'ingress', ingress: receipt.direction !== 'egress' };
    const states = await readHooks(receipt.interfaces, receipt.handle, hooks, opts);
    return { states, ifbs: Object.values(receipt.ifbs), cookie };
  }
  const links = (await listInterfaces(opts)).map((l) => l.name);
  const derived = new Set(links.map((d) => deviceName(name, d)));
  return { states: await readDevices(links, opts), ifbs: links.filter((l) => derived.has(l)), cookie };
}

/**
 * A tc fault (rate limit, the netem kinds): on each interface an htb root with an allocated handle,
 * a class holding the shaping qdisc, u32 filters sending the targeted packets there (SSH and
 * excluded ports go out untouched), and for ingress an ifb the interface's arrivals are redirected
 * to, shaped the same way. Every object carries the injection's cookie; revert removes what carries
 * it and nothing else.
 */
export function tcFault<S extends v.GenericSchema>(o: TcFaultOptions<S>): FaultDefinition<S, ShapeReceipt> {
  return defineFault<S, ShapeReceipt>({
    kind: o.kind,
    summary: o.summary,
    tunables: o.tunables,
    check: () => o.check(o.kind),
    inject: (ctx) => injectShape(ctx, o.shape(ctx.tunables), () => o.check(o.kind)),
    async revert(receipt, ctx) {
      const namespace = where(receipt, ctx);
      if (await namespaceGone(namespace)) return;
      const opts = { namespace, signal: ctx.signal };
      const { states, ifbs, cookie } = await owned(receipt, ctx.objectName, opts);
      await removeOwned(new Set([cookie]), states, ifbs, opts);
    },
    async present(receipt, ctx) {
      const namespace = where(receipt, ctx);
      if (await namespaceGone(namespace)) return false;
      const opts = { namespace };
      const { states, ifbs, cookie } = await owned(receipt, ctx.objectName, opts);
      if (states.some((s) => s.rootCookie === cookie || ingressCookie(s) === cookie)) return true;
      const links = ifbs.length ? (await listInterfaces(opts)).map((l) => l.name) : [];
      return ifbs.some((i) => links.includes(i));
    },
    manual(receipt, ctx) {
      const p = pre(where(receipt, ctx));
      const cookie = receipt?.cookie ?? injectionCookie(ctx.objectName);
      const check = `# first check it is this injection's: the filter under it carries cookie ${cookie}`;
      if (!receipt) {
        return [
          `${p}tc qdisc show   # on each interface whose root qdisc has a handle in f000:-ffee::`,
          `${p}tc filter show dev <interface> parent <handle>   ${check}`,
          `${p}tc qdisc del dev <interface> root handle <handle>`,
          `${p}tc filter show dev <interface> ingress   # if its redirect carries cookie ${cookie}:`,
          `${p}tc qdisc del dev <interface> ingress`,
          `${p}ip link show type ifb   # the faultline* ifb whose alias is ${ctx.objectName}:`,
          `${p}ip link del <that ifb>`,
        ].join('\n');
      }
      const lines: string[] = [];
      if (receipt.direction !== 'ingress') {
        for (const d of receipt.interfaces)
          lines.push(
            `${p}tc filter show dev ${d} parent ${receipt.handle}   ${check}`,
            `${p}tc qdisc del dev ${d} root handle ${receipt.handle}`,
          );
      }
      for (const [dev, ifb] of Object.entries(receipt.ifbs))
        lines.push(`${p}tc qdisc del dev ${dev} ingress`, `${p}ip link del ${ifb}`);
      return lines.join('\n');
    },
    healthCheck: (t) => networkHealthCheck(t as ShapeTunables),
  });
}
