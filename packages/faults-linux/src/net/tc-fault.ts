import {
  type Capability,
  defineFault,
  type FaultDefinition,
  FaultlineError,
  type RevertContext,
} from '@faultline/core';
import * as v from 'valibot';
import type { EntriesOutput } from '../entries.js';
import { networkHealthCheck } from './health.js';
import {
  listInterfaces,
  type NsOptions,
  namespaceGone,
  nsRun,
  resolveHosts,
  targetInterfaces,
} from './netns.js';
import {
  faultHandle,
  ifbName,
  ingressRedirectBatch,
  ingressState,
  listQdiscs,
  refuseForeign,
  rootQdisc,
  type ShapeSpec,
  shapeBatch,
  tcBatch,
} from './tc.js';
import {
  type Direction,
  directionSchema,
  hostSchema,
  interfaceNameSchema,
  ipOrCidrSchema,
  namespaceSchema,
} from './tunables.js';

/** The tunables every tc fault shares: where (interfaces, namespace), to whom, which way. */
export const shapeTargetEntries = {
  /** Interfaces to shape. Default: every interface but `lo` at inject (recorded in the receipt). */
  interfaces: v.optional(v.pipe(v.array(interfaceNameSchema), v.maxLength(64))),
  /** Only traffic with these remote hosts (resolved at inject); default: all traffic. */
  destinationHosts: v.optional(v.pipe(v.array(hostSchema), v.maxLength(64)), []),
  /** Only traffic with these remote IPs/CIDRs. */
  destinationIps: v.optional(v.pipe(v.array(ipOrCidrSchema), v.maxLength(256)), []),
  /** egress (root qdisc), ingress (through an ifb device), or both. */
  direction: v.optional(directionSchema, 'egress'),
  namespace: v.optional(namespaceSchema),
};

type ShapeTunables = EntriesOutput<typeof shapeTargetEntries>;

/** What revert needs: plain JSON. `previous` is the kernel default (handle 0:) — `add` refuses anything else. */
export interface ShapeReceipt {
  [k: string]: string | null | string[] | Record<string, string> | Record<string, string[]>;
  namespace: string | null;
  handle: string;
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

function plan(receipt: ShapeReceipt | undefined, ctx: RevertContext<unknown>) {
  const t = ctx.tunables as Partial<ShapeTunables> | undefined;
  const namespace = receipt ? (receipt.namespace ?? undefined) : t?.namespace;
  return { namespace, handle: receipt?.handle ?? faultHandle(ctx.objectName) };
}

/**
 * Removes what an injection made: its root qdiscs (the kernel deletes only a root with our handle),
 * its ingress redirects and its ifb devices. Without a receipt, every interface is tried by name.
 */
async function removeShape(
  receipt: ShapeReceipt | undefined,
  ctx: RevertContext<unknown>,
  opts: NsOptions,
): Promise<void> {
  const { handle } = plan(receipt, ctx);
  const links = receipt ? undefined : (await listInterfaces(opts)).map((l) => l.name);
  const devs = receipt ? receipt.interfaces : links!.filter((d) => !d.startsWith('faultline'));
  const ifbs = receipt
    ? Object.entries(receipt.ifbs)
    : devs.map((d) => [d, ifbName(ctx.objectName, d)] as const).filter(([, i]) => links!.includes(i));
  const lines =
    receipt && receipt.direction === 'ingress'
      ? []
      : devs.map((d) => `qdisc del dev ${d} root handle ${handle}`);
  for (const [dev, ifb] of ifbs)
    if ((await ingressState(dev, ifb, opts)).ours) lines.push(`qdisc del dev ${dev} ingress`);
  if (lines.length) {
    const r = await tcBatch(lines, { ...opts, force: true });
    // errors are expected for what is already gone ("Invalid handle"); only a root still ours is a failure
    if (
      r.exitCode !== 0 &&
      (await listQdiscs(opts)).some((q) => q.root && q.handle === handle && devs.includes(q.dev))
    ) {
      throw new FaultlineError('FL_REVERT', `could not delete qdisc ${handle}: ${r.stderr.trim()}`);
    }
  }
  for (const [, ifb] of ifbs) {
    const r = await nsRun('ip', ['link', 'del', ifb], opts);
    if (r.exitCode !== 0 && !/Cannot find device/.test(r.stderr))
      throw new FaultlineError('FL_REVERT', `could not delete ${ifb}: ${r.stderr.trim()}`);
  }
}

/**
 * A tc fault (rate limit, netem kinds): a root qdisc per interface, htb + u32 for destinations, ifb
 * for ingress. `S` holds {@link shapeTargetEntries} (netem faults build it from generic entries,
 * which TypeScript cannot check against a constraint, hence one cast below).
 */
export function tcFault<S extends v.GenericSchema>(o: TcFaultOptions<S>): FaultDefinition<S, ShapeReceipt> {
  const fault = defineFault<S, ShapeReceipt>({
    kind: o.kind,
    summary: o.summary,
    tunables: o.tunables,
    check: () => o.check(o.kind),
    async inject(ctx) {
      const t = ctx.tunables as ShapeTunables;
      const ns = { namespace: t.namespace, signal: ctx.signal };
      const shape = o.shape(ctx.tunables);
      // named interfaces are not listed first: tc itself fails on a missing one (one process less)
      const interfaces = t.interfaces?.length
        ? [...new Set(t.interfaces)]
        : await targetInterfaces(undefined, ns);
      const resolved = await resolveHosts(t.destinationHosts, ns);
      const remoteIps = [...t.destinationIps, ...Object.values(resolved).flat()];
      const handle = faultHandle(ctx.objectName);
      const egress = t.direction !== 'ingress';
      const ingress = t.direction !== 'egress';
      const ifbs: Record<string, string> = ingress
        ? Object.fromEntries(interfaces.map((d) => [d, ifbName(ctx.objectName, d)]))
        : {};
      const receipt: ShapeReceipt = {
        namespace: t.namespace ?? null,
        handle,
        direction: t.direction,
        interfaces,
        ifbs,
        previous: Object.fromEntries(interfaces.map((d) => [d, '0:'])),
        resolved,
      };
      const apply = async () => {
        for (const ifb of Object.values(ifbs)) {
          const r = await nsRun('ip', ['link', 'add', ifb, 'type', 'ifb'], ns);
          if (r.exitCode !== 0) return r;
          await nsRun('ip', ['link', 'set', ifb, 'up'], ns);
        }
        const lines = interfaces.flatMap((dev) => [
          ...(egress ? shapeBatch(dev, handle, shape, remoteIps, 'dst') : []),
          ...(ingress
            ? [
                ...ingressRedirectBatch(dev, ifbs[dev]!),
                ...shapeBatch(ifbs[dev]!, handle, shape, remoteIps, 'src'),
              ]
            : []),
        ]);
        return tcBatch(lines, ns);
      };
      let r = await apply();
      if (r.exitCode === 0) return receipt;
      // an earlier injection of this same step (a retry) is ours to replace; anything else is refused
      const rctx = { ...ctx, tunables: ctx.tunables as unknown };
      await removeShape(receipt, rctx, ns).catch(() => {});
      if (egress) {
        for (const dev of interfaces) {
          const q = await rootQdisc(dev, ns).catch(() => undefined);
          if (q && q.handle !== '0:' && q.handle !== handle) refuseForeign(dev, q, t.namespace);
        }
      }
      for (const [dev, ifb] of Object.entries(ifbs)) {
        const st = await ingressState(dev, ifb, ns);
        if (st.exists && !st.ours)
          refuseForeign(dev, { kind: 'ingress/clsact', handle: 'ffff:', dev }, t.namespace);
      }
      r = await apply();
      if (r.exitCode === 0) return receipt;
      await removeShape(receipt, rctx, ns).catch(() => {});
      const unknown = /qdisc kind is unknown/i.test(r.stderr);
      throw new FaultlineError(
        unknown ? 'FL_CAPABILITY' : 'FL_INJECT',
        unknown ? ((await o.check(o.kind)).reason ?? r.stderr) : `tc failed: ${r.stderr.trim()}`,
        {
          details: { command: r.command },
        },
      );
    },
    async revert(receipt, ctx) {
      const { namespace } = plan(receipt, ctx);
      if (await namespaceGone(namespace)) return;
      await removeShape(receipt, ctx, { namespace, signal: ctx.signal });
    },
    async present(receipt, ctx) {
      const { namespace, handle } = plan(receipt, ctx);
      if (await namespaceGone(namespace)) return false;
      const opts = { namespace };
      if ((await listQdiscs(opts)).some((q) => q.root && q.handle === handle)) return true;
      if (receipt && Object.keys(receipt.ifbs).length === 0) return false;
      const links = (await listInterfaces(opts)).map((l) => l.name);
      return receipt
        ? Object.values(receipt.ifbs).some((i) => links.includes(i))
        : links.some((d) => links.includes(ifbName(ctx.objectName, d)));
    },
    manual(receipt, ctx) {
      const { namespace, handle } = plan(receipt, ctx);
      const p = pre(namespace);
      if (!receipt) {
        return `${p}tc qdisc show   # then, on each interface with a root qdisc ${handle}:\n${p}tc qdisc del dev <interface> root handle ${handle}\n${p}ip link show type ifb   # delete faultline* ifb devices and the ingress qdisc of their interface:\n${p}tc qdisc del dev <interface> ingress\n${p}ip link del <faultline ifb>`;
      }
      const lines =
        receipt.direction === 'ingress'
          ? []
          : receipt.interfaces.map((d) => `${p}tc qdisc del dev ${d} root handle ${handle}`);
      for (const [dev, ifb] of Object.entries(receipt.ifbs))
        lines.push(`${p}tc qdisc del dev ${dev} ingress`, `${p}ip link del ${ifb}`);
      return lines.join('\n');
    },
    healthCheck: (t) => networkHealthCheck(t as ShapeTunables),
  });
  return fault;
}
