import {
  type Capability,
  defineFault,
  type FaultDefinition,
  FaultlineError,
  objectName,
  type RevertContext,
} from '@faultline/core';
import * as v from 'valibot';
import type { EntriesOutput } from '../entries.js';
import { addIfb, deviceName } from './devices.js';
import { networkHealthCheck } from './health.js';
import {
  listInterfaces,
  type NsOptions,
  namespaceGone,
  pickInterfaces,
  requireNamespace,
  resolveHosts,
} from './netns.js';
import type { PacketMatch } from './nft.js';
import {
  allocateHandle,
  ingressRedirectLines,
  injectionCookie,
  listQdiscs,
  type ShapeSpec,
  shapeLines,
  tcBatch,
} from './tc.js';
import {
  type DeviceState,
  ingressCookie,
  readDevice,
  readDevices,
  readHooks,
  refuseTaken,
  removeOwned,
} from './tc-state.js';
import { type Direction, directionSchema, parsePortSelector, targetEntries } from './tunables.js';

/**
 * The tunables every tc fault shares: the nft faults' targets (interfaces, destinations, ports,
 * protocol, whitelistSsh, namespace) — the same schemas — and which way (default egress).
 */
export const shapeTargetEntries = {
  ...targetEntries,
  /** egress (the interface's root qdisc), ingress (through an ifb device), or both. */
  direction: v.optional(directionSchema, 'egress'),
};

type ShapeTunables = EntriesOutput<typeof shapeTargetEntries>;

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

/** The packets a fault's tunables target, host names already resolved. */
function packetMatch(t: ShapeTunables, resolved: Record<string, string[]>): PacketMatch {
  return {
    remoteIps: [...t.destinationIps, ...Object.values(resolved).flat()],
    protocol: t.protocol,
    localPorts: t.sourcePorts.map((p) => parsePortSelector(p)!),
    remotePorts: t.destinationPorts.map((p) => parsePortSelector(p)!),
  };
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
    async inject(ctx) {
      const t = ctx.tunables as ShapeTunables;
      const ns = { namespace: t.namespace, signal: ctx.signal };
      await requireNamespace(t.namespace);
      const egress = t.direction !== 'ingress';
      const ingress = t.direction !== 'egress';
      const qdiscs = await listQdiscs({ ...ns, code: 'FL_INJECT' });
      // an interface that is up has a qdisc: egress alone on named interfaces found in the listing
      // needs no `ip link` (a process less); otherwise — none named, one down or missing, earlier
      // ifbs to find — the interfaces are listed
      const named = t.interfaces?.length ? [...new Set(t.interfaces)] : undefined;
      const links =
        !ingress && named?.every((d) => qdiscs.some((q) => q.dev === d))
          ? named.map((name) => ({ name }))
          : await listInterfaces(ns);
      const interfaces = pickInterfaces(t.interfaces, links, t.namespace);
      const resolved = await resolveHosts(t.destinationHosts, ns);
      const match = packetMatch(t, resolved);
      const shape = o.shape(ctx.tunables);
      const cookie = injectionCookie(ctx.objectName);
      // this step's own objects — a retry of this injection, or an earlier iteration of an `interval`
      // step — are replaced; anything else on the hooks this injection needs is refused
      const names = Array.from({ length: ctx.iteration + 1 }, (_, i) => objectName(ctx.runId, ctx.stepId, i));
      const mine = new Set(names.map(injectionCookie));
      const states = await Promise.all(interfaces.map((d) => readDevice(d, qdiscs, ns)));
      for (const s of states) {
        if (egress && s.root && !(s.rootCookie && mine.has(s.rootCookie)))
          refuseTaken(s, 'root', t.namespace);
        const theirs = ingressCookie(s);
        if (ingress && s.ingress && !(theirs && mine.has(theirs))) refuseTaken(s, 'ingress', t.namespace);
      }
      const earlierIfbs = names.flatMap((n) => interfaces.map((d) => deviceName(n, d)));
      const stale = states.filter((s) => s.rootCookie || ingressCookie(s));
      if (stale.length || (ingress && links.some((l) => earlierIfbs.includes(l.name))))
        await removeOwned(
          mine,
          stale,
          earlierIfbs.filter((i) => links.some((l) => l.name === i)),
          ns,
        );
      // never the handle an earlier iteration had: its late revert then cannot meet ours by handle
      const handle = allocateHandle(
        qdiscs,
        interfaces,
        stale.flatMap((s) => (s.root ? [s.root.handle] : [])),
      );
      const ifbs: Record<string, string> = ingress
        ? Object.fromEntries(interfaces.map((d) => [d, deviceName(ctx.objectName, d)]))
        : {};
      const receipt: ShapeReceipt = {
        namespace: t.namespace ?? null,
        handle,
        cookie,
        direction: t.direction,
        interfaces,
        ifbs,
        previous: Object.fromEntries(interfaces.map((d) => [d, '0:'])),
        resolved,
      };
      const classify = { match, whitelistSsh: t.whitelistSsh };
      try {
        for (const ifb of Object.values(ifbs)) await addIfb(ifb, ctx.objectName, { ...ns, up: true });
        const lines = interfaces.flatMap((dev) => [
          ...(egress ? shapeLines(dev, handle, cookie, shape, { ...classify, dir: 'egress' }) : []),
          ...(ingress
            ? [
                ...ingressRedirectLines(dev, ifbs[dev]!, cookie),
                ...shapeLines(ifbs[dev]!, handle, cookie, shape, { ...classify, dir: 'ingress' }),
              ]
            : []),
        ]);
        ctx.log.debug('tc batch', { lines });
        const r = await tcBatch(lines, ns);
        if (r.exitCode !== 0) {
          const unknown = /qdisc kind is unknown/i.test(r.stderr);
          throw new FaultlineError(
            unknown ? 'FL_CAPABILITY' : 'FL_INJECT',
            unknown ? ((await o.check(o.kind)).reason ?? r.stderr) : `tc failed: ${r.stderr.trim()}`,
            { details: { command: r.command } },
          );
        }
      } catch (e) {
        const states = await readDevices(interfaces, ns).catch(() => []);
        await removeOwned(new Set([cookie]), states, Object.values(ifbs), {
          ...ns,
          emptyIngress: ingress ? interfaces : [],
        }).catch(() => {});
        throw e;
      }
      return receipt;
    },
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
