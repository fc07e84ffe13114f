import { defineProbe, type ProbeSpec } from '@faultline/core';
import * as v from 'valibot';
import { apiErrorBody } from '../api-error.js';
import { isUnreachable, ProxyClient } from '../client.js';
import { targetTunables } from './common.js';

/**
 * `probe/proxy-up`: the proxy server answers and the proxy is enabled. The `proxy/*` faults' health
 * check (before and after the chaos window), so the pack runs on its own.
 */
export const proxyUp = defineProbe({
  kind: 'probe/proxy-up',
  summary: 'The proxy server answers and the named proxy is enabled',
  tunables: v.strictObject({ ...targetTunables }),
  async run({ tunables, timeoutMs }) {
    try {
      const p = await new ProxyClient(tunables.control, timeoutMs).proxy(tunables.proxy);
      return p.enabled
        ? { passed: true, value: p.listen }
        : { passed: false, message: `proxy '${tunables.proxy}' is down (enabled: false)` };
    } catch (e) {
      return {
        passed: false,
        message: isUnreachable(e) ? `no proxy server at ${tunables.control}` : apiErrorBody(e).error,
      };
    }
  },
});

/** The health check every proxy fault names. */
export const proxyUpCheck = (t: { control: string; proxy: string }): ProbeSpec => ({
  name: 'proxy-up',
  kind: 'probe/proxy-up',
  tunables: { control: t.control, proxy: t.proxy },
  mode: 'Edge',
});
