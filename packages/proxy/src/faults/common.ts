import * as v from 'valibot';
import { apiErrorBody } from '../api-error.js';
import { isUnreachable, ProxyClient } from '../client.js';

/** Where every proxy fault acts: a proxy server's control API and one proxy on it. */
export const targetTunables = {
  /** The control API: faultline-proxy's or toxiproxy-server's (default Toxiproxy's address). */
  control: v.optional(v.pipe(v.string(), v.url(), v.regex(/^https?:\/\//)), 'http://127.0.0.1:8474'),
  /** The proxy's name on that server. */
  proxy: v.pipe(v.string(), v.minLength(1)),
};

/** What a proxy fault's receipt holds: enough for a fresh process to find and undo it over the API. */
export interface ProxyReceipt {
  [k: string]: string | boolean | null;
  control: string;
  proxy: string;
  /** The toxic's name (the injection's objectName), or null for proxy/down. */
  toxic: string | null;
}

/** The HTTP status of a FL_PROXY refusal, or undefined. */
export const statusOf = (e: unknown): number | undefined => {
  const s = apiErrorBody(e).status;
  return (e as { code?: string })?.code === 'FL_PROXY' ? s : undefined;
};

/**
 * Runs `f` against the control API; answers `gone` when the server refuses the connection — the proxy
 * process is gone, and every toxic it held went with it — or when it answers 404 (proxy or toxic gone).
 */
export async function unlessGone<T>(control: string, f: (c: ProxyClient) => Promise<T>): Promise<T | 'gone'> {
  try {
    return await f(new ProxyClient(control));
  } catch (e) {
    if (isUnreachable(e) || statusOf(e) === 404) return 'gone';
    throw e;
  }
}

/** The capability check every proxy fault shares: is the control API there, with that proxy? */
export async function reachable(t: { control: string; proxy: string } | undefined) {
  if (!t) return { available: true, reason: 'needs a faultline-proxy or toxiproxy-server control API' };
  try {
    await new ProxyClient(t.control, 3000).proxy(t.proxy);
    return { available: true };
  } catch (e) {
    return {
      available: false,
      reason: isUnreachable(e)
        ? `no proxy server answers at ${t.control}`
        : `${t.control} has no proxy '${t.proxy}' (${apiErrorBody(e).error})`,
      fix: 'start one (`faultline-proxy`, or `startProxyServer()` in code) and create the proxy, or point `control` and `proxy` at an existing one',
    };
  }
}
