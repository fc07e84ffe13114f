// How a tc fault goes in: straight away when the interfaces' hooks are free (the common case: one
// tc process), else after a look at what is there — this step's own earlier objects are removed,
// anyone else's are refused — and a second try.
import { type Capability, FaultlineError, type InjectContext, objectName } from '@faultline/core';
import type { EntriesOutput } from '../entries.js';
import { addIfb, deviceName } from './devices.js';
import {
  type LinkInfo,
  listInterfaces,
  type NsOptions,
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
import type { ShapeReceipt, shapeTargetEntries } from './tc-fault.js';
import { ingressCookie, readDevice, readDevices, refuseTaken, removeOwned } from './tc-state.js';
import { parsePortSelector } from './tunables.js';

/** The tunables a tc fault shares with the others (see `shapeTargetEntries`). */
export type ShapeTunables = EntriesOutput<typeof shapeTargetEntries>;

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
 * Makes the hooks free for this injection: this step's own objects (a retry of this injection, or an
 * earlier iteration of an `interval` step) are removed; anything else is refused. Returns the
 * listing, and the handles this step had (never reused: a late revert of an earlier iteration then
 * cannot meet this one by handle).
 */
async function clearTheWay(
  ctx: InjectContext<unknown>,
  t: ShapeTunables,
  interfaces: string[],
  links: LinkInfo[],
  ns: NsOptions,
) {
  const qdiscs = await listQdiscs({ ...ns, code: 'FL_INJECT' });
  const names = Array.from({ length: ctx.iteration + 1 }, (_, i) => objectName(ctx.runId, ctx.stepId, i));
  const mine = new Set(names.map(injectionCookie));
  const states = await Promise.all(interfaces.map((d) => readDevice(d, qdiscs, ns)));
  for (const s of states) {
    if (t.direction !== 'ingress' && s.root && !(s.rootCookie && mine.has(s.rootCookie)))
      refuseTaken(s, 'root', t.namespace);
    const theirs = ingressCookie(s);
    if (t.direction !== 'egress' && s.ingress && !(theirs && mine.has(theirs)))
      refuseTaken(s, 'ingress', t.namespace);
  }
  const earlierIfbs = names
    .flatMap((n) => interfaces.map((d) => deviceName(n, d)))
    .filter((i) => links.some((l) => l.name === i));
  const stale = states.filter((s) => s.rootCookie || ingressCookie(s));
  if (stale.length || earlierIfbs.length) await removeOwned(mine, stale, earlierIfbs, ns);
  return { qdiscs, avoid: stale.flatMap((s) => (s.root ? [s.root.handle] : [])) };
}

/** Injects a shape (see tcFault) and returns its receipt. */
export async function injectShape(
  ctx: InjectContext<unknown>,
  shape: ShapeSpec,
  capability: () => Promise<Capability>,
): Promise<ShapeReceipt> {
  const t = ctx.tunables as ShapeTunables;
  const ns = { namespace: t.namespace, signal: ctx.signal };
  await requireNamespace(t.namespace);
  const [egress, ingress] = [t.direction !== 'ingress', t.direction !== 'egress'];
  // named interfaces are not listed first: a missing one makes tc fail, and is looked for only then
  const interfaces = t.interfaces?.length
    ? [...new Set(t.interfaces)]
    : pickInterfaces(undefined, await listInterfaces(ns), t.namespace);
  const resolved = await resolveHosts(t.destinationHosts, ns);
  const classify = { match: packetMatch(t, resolved), whitelistSsh: t.whitelistSsh };
  const cookie = injectionCookie(ctx.objectName);
  const ifbs: Record<string, string> = ingress
    ? Object.fromEntries(interfaces.map((d) => [d, deviceName(ctx.objectName, d)]))
    : {};
  // nothing half-made stays; `emptyIngress`: interfaces whose ingress qdisc this batch added before
  // it stopped (tc -batch stops at the first failing line and names it), so theirs is never taken
  const undo = async (emptyIngress: string[] = []) => {
    const states = await readDevices(interfaces, ns).catch(() => []);
    await removeOwned(new Set([cookie]), states, Object.values(ifbs), { ...ns, emptyIngress }).catch(
      () => {},
    );
  };
  /** Installs everything under `handle`; on failure removes what it added and says what tc said. */
  const install = async (handle: string): Promise<string | undefined> => {
    const lines: string[] = [];
    const ingressLine = new Map<string, number>();
    for (const dev of interfaces) {
      if (egress) lines.push(...shapeLines(dev, handle, cookie, shape, { ...classify, dir: 'egress' }));
      if (!ingress) continue;
      ingressLine.set(dev, lines.length + 1);
      lines.push(
        ...ingressRedirectLines(dev, ifbs[dev]!, cookie),
        ...shapeLines(ifbs[dev]!, handle, cookie, shape, { ...classify, dir: 'ingress' }),
      );
    }
    ctx.log.debug('tc batch', { lines });
    let r: Awaited<ReturnType<typeof tcBatch>>;
    try {
      for (const ifb of Object.values(ifbs)) await addIfb(ifb, ctx.objectName, { ...ns, up: true });
      r = await tcBatch(lines, ns);
    } catch (e) {
      await undo();
      throw e; // no ifb devices on this kernel, an abort...
    }
    if (r.exitCode === 0) return undefined;
    const failed = Number(r.stderr.match(/Command failed -:(\d+)/)?.[1] ?? 0);
    await undo([...ingressLine].filter(([, n]) => n < failed).map(([dev]) => dev));
    return r.stderr.trim();
  };
  const receipt = (handle: string): ShapeReceipt => ({
    namespace: t.namespace ?? null,
    handle,
    cookie,
    direction: t.direction,
    interfaces,
    ifbs,
    previous: Object.fromEntries(interfaces.map((d) => [d, '0:'])),
    resolved,
  });
  // the common case: the hooks are free, and then no handle in faultline's range is in use there
  const first = allocateHandle([], interfaces);
  let failure = await install(first);
  if (failure === undefined) return receipt(first);
  // a named interface that is missing may be what made tc fail: that is said first, by name
  const links = await listInterfaces(ns);
  pickInterfaces(t.interfaces, links, t.namespace);
  if (/qdisc kind is unknown/i.test(failure))
    throw new FaultlineError('FL_CAPABILITY', (await capability()).reason ?? failure);
  const { qdiscs, avoid } = await clearTheWay(ctx, t, interfaces, links, ns);
  const handle = allocateHandle(qdiscs, interfaces, [first, ...avoid]);
  failure = await install(handle);
  if (failure === undefined) return receipt(handle);
  throw new FaultlineError('FL_INJECT', `tc failed: ${failure}`);
}
