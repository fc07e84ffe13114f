import { defineFault, type FaultDefinition, FaultlineError } from '@faultline/core';
import * as v from 'valibot';
import { type ProxyReceipt, reachable, statusOf, targetTunables, unlessGone } from './common.js';
import { proxyUpCheck } from './proxy-up.js';

/** The tunables every toxic fault takes besides its own. */
const toxicTunables = {
  ...targetTunables,
  /** `downstream` (server → client, Toxiproxy's default) or `upstream` (client → server). */
  stream: v.optional(v.picklist(['upstream', 'downstream']), 'downstream'),
  /** Share of connections (TCP, UDP flows) or requests (HTTP) it acts on, 0–1 as in Toxiproxy. */
  toxicity: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(1)), 1),
};

type Entries = v.ObjectEntries;
/** The schema of a toxic fault: its own tunables plus control, proxy, stream, toxicity. */
type Tunables<E extends Entries> = v.StrictObjectSchema<E & typeof toxicTunables, undefined>;

/** What a toxic fault is made of. */
export interface ToxicFaultSpec<E extends Entries> {
  kind: string;
  summary: string;
  /** The toxic's wire type (`latency`, `http_status` ...). */
  type: string;
  tunables: E;
  /** The toxic's attributes from the parsed tunables. */
  attributes(t: v.InferOutput<v.StrictObjectSchema<E, undefined>>): Record<string, unknown>;
}

/**
 * A fault that adds one toxic, named after the injection (`faultline_<run8>_<step>`), to a proxy over its
 * control API. The receipt is `{ control, proxy, toxic }`: a fresh process deletes that toxic by name.
 * If the proxy server is gone, so is the toxic — revert is then done and `present()` is false.
 */
export function toxicFault<E extends Entries>(
  spec: ToxicFaultSpec<E>,
): FaultDefinition<Tunables<E>, ProxyReceipt> {
  const tunables = v.strictObject({ ...spec.tunables, ...toxicTunables }) as Tunables<E>;
  const receiptOf = (t: { control: string; proxy: string }, toxic: string): ProxyReceipt => ({
    control: t.control,
    proxy: t.proxy,
    toxic,
  });
  return defineFault<Tunables<E>, ProxyReceipt>({
    kind: spec.kind,
    summary: spec.summary,
    tunables,
    check: (ctx) => reachable(ctx.tunables as { control: string; proxy: string } | undefined),
    async inject(ctx) {
      const t = ctx.tunables as { control: string; proxy: string; stream: string; toxicity: number };
      const body = {
        name: ctx.objectName,
        type: spec.type,
        stream: t.stream,
        toxicity: t.toxicity,
        attributes: spec.attributes(ctx.tunables as never),
      };
      const r = await unlessGone(t.control, async (c) => {
        try {
          return await c.addToxic(t.proxy, body);
        } catch (e) {
          // 409: this very injection added it before (a retried inject): replace it with what is asked now
          if (statusOf(e) !== 409) throw e;
          await c.removeToxic(t.proxy, ctx.objectName);
          return await c.addToxic(t.proxy, body);
        }
      });
      if (r === 'gone') {
        throw new FaultlineError(
          'FL_INJECT',
          `${spec.kind}: no proxy '${t.proxy}' at ${t.control}; start the proxy server and create the proxy first`,
        );
      }
      ctx.log.info(`added toxic ${ctx.objectName} (${spec.type}) to proxy ${t.proxy}`, {
        attributes: body.attributes as never,
      });
      return receiptOf(t, ctx.objectName);
    },
    async revert(receipt, ctx) {
      const r = receipt ?? receiptOf(ctx.tunables as { control: string; proxy: string }, ctx.objectName);
      const done = await unlessGone(r.control, (c) => c.removeToxic(r.proxy, r.toxic!));
      if (done === 'gone') ctx.log.debug(`toxic ${r.toxic} was already gone from ${r.control}`);
    },
    async present(receipt, ctx) {
      const r = receipt ?? receiptOf(ctx.tunables as { control: string; proxy: string }, ctx.objectName);
      return (await unlessGone(r.control, (c) => c.toxic(r.proxy, r.toxic!))) !== 'gone';
    },
    healthCheck: (t) => proxyUpCheck(t as { control: string; proxy: string }),
    manual(receipt, ctx) {
      const r = receipt ?? receiptOf(ctx.tunables as { control: string; proxy: string }, ctx.objectName);
      return [
        `# remove the toxic ${r.toxic} from proxy ${r.proxy} (a 404 or a refused connection means it is gone already)`,
        `curl -sS -X DELETE ${r.control}/proxies/${encodeURIComponent(r.proxy)}/toxics/${r.toxic}`,
      ].join('\n');
    },
  });
}
