import { errors } from './api-error.js';
import { type ProxyJson, ToxicProxy } from './proxy.js';
import type { Protocol } from './toxic-type.js';

/** A proxy to create: Toxiproxy's fields, plus `protocol` and `toxics` (set up before the first connection). */
export interface ProxyInput {
  name: string;
  /** `host:port` to listen on; port 0 picks one (read it back from `listen`). Default `127.0.0.1:0`. */
  listen?: string;
  /** `host:port` of the real service. */
  upstream: string;
  /** Default true. */
  enabled?: boolean;
  /** `tcp` (default, Toxiproxy's), `udp`, or `http` (adds the HTTP toxics). */
  protocol?: Protocol;
  /** Toxics in force from the start (Toxiproxy issue #79), each as `POST /proxies/{name}/toxics` takes it. */
  toxics?: unknown[];
}

const PROTOCOLS: readonly Protocol[] = ['tcp', 'udp', 'http'];

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Checks a proxy body the way Toxiproxy does (`at` names its place in a populate list). */
function parseInput(body: unknown, at = ''): ProxyInput {
  if (!isObject(body)) throw errors.badBody('a proxy is a JSON object');
  const str = (k: string) => {
    const x = body[k];
    if (x !== undefined && x !== null && typeof x !== 'string') throw errors.badBody(`${k}: a string`);
    return (x as string | undefined | null) ?? '';
  };
  const name = str('name');
  const upstream = str('upstream');
  if (!name) throw errors.missingField(`name${at}`);
  if (!upstream) throw errors.missingField(`upstream${at}`);
  const protocol = body.protocol ?? 'tcp';
  if (!PROTOCOLS.includes(protocol as Protocol)) throw errors.badBody('protocol: tcp, udp or http');
  if (body.enabled !== undefined && body.enabled !== null && typeof body.enabled !== 'boolean')
    throw errors.badBody('enabled: true or false');
  if (body.toxics !== undefined && body.toxics !== null && !Array.isArray(body.toxics))
    throw errors.badBody('toxics: a list of toxics');
  return {
    name,
    listen: str('listen') || '127.0.0.1:0',
    upstream,
    enabled: (body.enabled as boolean | undefined | null) ?? true,
    protocol: protocol as Protocol,
    toxics: (body.toxics as unknown[] | undefined | null) ?? [],
  };
}

/**
 * Every proxy of a server, by name: Toxiproxy's ProxyCollection with its rules (names unique, populate
 * keeps a proxy whose listen and upstream did not change, reset re-enables and clears toxics). Changes
 * run one at a time, so two requests never interleave halfway through a bind.
 */
export class ProxyCollection {
  readonly #proxies = new Map<string, ToxicProxy>();
  #queue: Promise<unknown> = Promise.resolve();

  #serial<T>(f: () => Promise<T>): Promise<T> {
    const r = this.#queue.then(f, f);
    this.#queue = r.catch(() => {});
    return r;
  }

  /** Every proxy, by name. */
  list(): ToxicProxy[] {
    return [...this.#proxies.values()];
  }

  /** A proxy; `proxy not found` (404) when there is none. */
  get(name: string): ToxicProxy {
    const p = this.#proxies.get(name);
    if (!p) throw errors.proxyNotFound();
    return p;
  }

  /** Creates a proxy and starts it unless `enabled: false`. 409 when the name is taken. */
  create(body: unknown): Promise<ToxicProxy> {
    return this.#serial(async () => {
      const input = parseInput(body);
      if (this.#proxies.has(input.name)) throw errors.proxyExists();
      const p = await this.#build(input);
      this.#proxies.set(p.name, p);
      return p;
    });
  }

  async #build(input: ProxyInput): Promise<ToxicProxy> {
    const p = new ToxicProxy(input.name, input.listen ?? '127.0.0.1:0', input.upstream, input.protocol);
    for (const t of input.toxics ?? []) p.toxics.add(t);
    if (input.enabled !== false) await p.start();
    return p;
  }

  /**
   * Creates or replaces a list of proxies (Toxiproxy's populate): every entry is checked first; then a
   * proxy whose listen and upstream are unchanged is kept as it is (toxics too), others are replaced.
   * Stops at the first failure: `{ created, error }`.
   */
  populate(body: unknown): Promise<{ proxies: ToxicProxy[]; error?: unknown }> {
    return this.#serial(async () => {
      if (!Array.isArray(body)) throw errors.badBody('populate takes a JSON list of proxies');
      const inputs = body.map((b, i) => parseInput(b, ` at proxy ${i + 1}`));
      const done: ToxicProxy[] = [];
      for (const input of inputs) {
        try {
          const had = this.#proxies.get(input.name);
          if (had && !had.differs(input.listen ?? '', input.upstream)) {
            done.push(had);
            continue;
          }
          await had?.stop();
          const p = await this.#build(input);
          this.#proxies.set(p.name, p);
          done.push(p);
        } catch (error) {
          return { proxies: done, error };
        }
      }
      return { proxies: done };
    });
  }

  /** Updates listen, upstream, enabled: a changed address restarts the proxy (its connections drop). */
  update(name: string, body: unknown): Promise<ToxicProxy> {
    return this.#serial(async () => {
      const p = this.get(name);
      if (!isObject(body)) throw errors.badBody('a proxy update is a JSON object');
      const listen = typeof body.listen === 'string' ? body.listen : p.listen;
      const upstream = typeof body.upstream === 'string' ? body.upstream : p.upstream;
      const enabled = typeof body.enabled === 'boolean' ? body.enabled : p.enabled;
      if (p.differs(listen, upstream)) {
        await p.stop();
        p.listen = listen;
        p.upstream = upstream;
      }
      if (enabled && !p.enabled) await p.start();
      if (!enabled && p.enabled) await p.stop();
      return p;
    });
  }

  /** Deletes a proxy (stops it first). */
  remove(name: string): Promise<void> {
    return this.#serial(async () => {
      const p = this.get(name);
      this.#proxies.delete(name);
      await p.stop();
    });
  }

  /** Re-enables every proxy and removes every toxic (POST /reset). */
  reset(): Promise<void> {
    return this.#serial(async () => {
      for (const p of this.#proxies.values()) {
        await p.start();
        p.toxics.clear();
      }
    });
  }

  /** Stops and forgets every proxy. */
  clear(): Promise<void> {
    return this.#serial(async () => {
      const all = [...this.#proxies.values()];
      this.#proxies.clear();
      await Promise.all(all.map((p) => p.stop()));
    });
  }

  toJSON(): Record<string, ProxyJson> {
    return Object.fromEntries([...this.#proxies].map(([k, p]) => [k, p.toJSON()]));
  }
}
