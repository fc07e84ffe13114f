import { defineFault, FaultlineError } from '@faultline/core';
import * as v from 'valibot';
import { type ProxyReceipt, reachable, targetTunables, unlessGone } from './common.js';
import { proxyUpCheck } from './proxy-up.js';

const tunables = v.strictObject({ ...targetTunables });

/**
 * `proxy/down`: disables a proxy (Toxiproxy's `enabled: false`): it stops listening and drops its
 * connections; revert enables it again. It refuses a proxy that is already down, so revert — even one
 * with no receipt, after a crash mid-inject — only ever brings up what this fault took down.
 */
export const proxyDown = defineFault<typeof tunables, ProxyReceipt>({
  kind: 'proxy/down',
  summary: 'Takes a proxy down (stops listening, drops its connections); revert brings it back',
  tunables,
  check: (ctx) => reachable(ctx.tunables),
  async inject(ctx) {
    const { control, proxy } = ctx.tunables;
    const r = await unlessGone(control, async (c) => {
      if (!(await c.proxy(proxy)).enabled) {
        throw new FaultlineError('FL_INJECT', `proxy/down: proxy '${proxy}' at ${control} is already down`);
      }
      return c.updateProxy(proxy, { enabled: false });
    });
    if (r === 'gone') throw new FaultlineError('FL_INJECT', `proxy/down: no proxy '${proxy}' at ${control}`);
    return { control, proxy, toxic: null };
  },
  async revert(receipt, ctx) {
    const { control, proxy } = receipt ?? ctx.tunables;
    await unlessGone(control, (c) => c.updateProxy(proxy, { enabled: true }));
  },
  async present(receipt, ctx) {
    const { control, proxy } = receipt ?? ctx.tunables;
    const p = await unlessGone(control, (c) => c.proxy(proxy));
    return p !== 'gone' && !p.enabled;
  },
  healthCheck: proxyUpCheck,
  manual(receipt, ctx) {
    const { control, proxy } = receipt ?? ctx.tunables;
    return `curl -sS -X POST ${control}/proxies/${encodeURIComponent(proxy)} -d '{"enabled": true}'`;
  },
});
