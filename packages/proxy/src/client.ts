import { apiError } from './api-error.js';
import type { ProxyJson } from './proxy.js';
import type { ToxicJson } from './toxic-type.js';

/** Is this error a refused connection (nothing listens: the proxy server is gone)? */
export function isUnreachable(e: unknown): boolean {
  const code = (e as { cause?: { code?: string } })?.cause?.code;
  return code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH';
}

/**
 * A small client of the control API (faultline-proxy's or a real toxiproxy-server's): what the
 * `proxy/*` faults and {@link chaosProxy} with `control` need. Refusals are FaultlineErrors
 * `FL_PROXY` whose `details` hold the server's `{ error, status }`; a server that is not there
 * throws the fetch error (see {@link isUnreachable}).
 */
export class ProxyClient {
  constructor(
    readonly url: string,
    private readonly timeoutMs = 10_000,
  ) {}

  async #fetch(method: string, path: string, body?: unknown): Promise<Response> {
    const go = () =>
      fetch(`${this.url}${path}`, {
        method,
        signal: AbortSignal.timeout(this.timeoutMs),
        ...(body === undefined
          ? {}
          : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      });
    try {
      return await go();
    } catch (e) {
      // a kept-alive connection to a server that has since gone fails without a word (not a refusal):
      // a new connection tells the truth
      if (isUnreachable(e) || (e as Error).name === 'TimeoutError') throw e;
      return await go();
    }
  }

  async #call<T>(method: string, path: string, body?: unknown): Promise<T | undefined> {
    const res = await this.#fetch(method, path, body);
    const text = await res.text();
    if (!res.ok) {
      let msg = text.trim();
      try {
        msg = (JSON.parse(text) as { error?: string }).error ?? msg;
      } catch {}
      throw apiError(msg, res.status);
    }
    return text ? (JSON.parse(text) as T) : undefined;
  }

  /** GET /proxies/{name}. */
  proxy(name: string): Promise<ProxyJson> {
    return this.#call<ProxyJson>('GET', `/proxies/${encodeURIComponent(name)}`) as Promise<ProxyJson>;
  }
  /** POST /proxies. */
  createProxy(body: Record<string, unknown>): Promise<ProxyJson> {
    return this.#call<ProxyJson>('POST', '/proxies', body) as Promise<ProxyJson>;
  }
  /** POST /proxies/{name}: listen, upstream, enabled. */
  updateProxy(name: string, body: Record<string, unknown>): Promise<ProxyJson> {
    return this.#call<ProxyJson>('POST', `/proxies/${encodeURIComponent(name)}`, body) as Promise<ProxyJson>;
  }
  /** DELETE /proxies/{name}. */
  async deleteProxy(name: string): Promise<void> {
    await this.#call('DELETE', `/proxies/${encodeURIComponent(name)}`);
  }
  /** POST /proxies/{name}/toxics. */
  addToxic(proxy: string, body: Record<string, unknown>): Promise<ToxicJson> {
    return this.#call<ToxicJson>(
      'POST',
      `/proxies/${encodeURIComponent(proxy)}/toxics`,
      body,
    ) as Promise<ToxicJson>;
  }
  /** GET /proxies/{name}/toxics/{toxic}. */
  toxic(proxy: string, name: string): Promise<ToxicJson> {
    return this.#call<ToxicJson>(
      'GET',
      `/proxies/${encodeURIComponent(proxy)}/toxics/${encodeURIComponent(name)}`,
    ) as Promise<ToxicJson>;
  }
  /** DELETE /proxies/{name}/toxics/{toxic}. */
  async removeToxic(proxy: string, name: string): Promise<void> {
    await this.#call('DELETE', `/proxies/${encodeURIComponent(proxy)}/toxics/${encodeURIComponent(name)}`);
  }
}
