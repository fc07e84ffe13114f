import { type HostPort, joinHostPort, parseHostPort } from './address.js';
import type { Chaos } from './builders.js';
import { ProxyClient } from './client.js';
import { ProxyCollection } from './collection.js';
import type { ProxyJson } from './proxy.js';
import { toxicJson } from './toxic-set.js';
import type { Protocol, ToxicJson } from './toxic-type.js';

/** Options of {@link chaosProxy}. */
export interface ChaosProxyOptions {
  /** The real dependency: `host:port`, a port on 127.0.0.1, or `{ host, port }`. */
  upstream: string | number | HostPort;
  /** Where the proxy listens (default `127.0.0.1:0`: a free port; read it from `port`/`address`). */
  listen?: string;
  /** `tcp` (default), `udp`, or `http` (for the HTTP toxics). */
  protocol?: Protocol;
  /** The proxy's name (default: one made up). */
  name?: string;
  /** Use a proxy server that is already running (faultline-proxy or toxiproxy-server) at this API URL. */
  control?: string;
}

/** A toxic in force; `remove()` takes it away (idempotent). */
export interface ChaosHandle {
  remove(): Promise<void>;
}

/** A proxy in front of one dependency, for a test suite. */
export interface ChaosProxy {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** `host:port` to give the code under test instead of the dependency's. */
  readonly address: string;
  /** `http://host:port` + `path` (default none), for an http dependency. */
  url(path?: string): string;
  /** Puts chaos in force until the handle's `remove()` (pass it to vitest's `onTestFinished`). */
  add(...chaos: Chaos[]): Promise<ChaosHandle>;
  /** Runs `fn` with the chaos in force and removes it afterwards, also when `fn` throws. */
  with<T>(chaos: Chaos | Chaos[], fn: () => T | Promise<T>): Promise<T>;
  /** Removes every toxic and brings the proxy up. */
  reset(): Promise<void>;
  /** Deletes the proxy (and stops the in-process server, if it made one). */
  close(): Promise<void>;
}

/** The operations a chaos proxy needs: on an in-process collection, or over a control API. */
interface Control {
  createProxy(body: Record<string, unknown>): Promise<ProxyJson>;
  updateProxy(name: string, body: Record<string, unknown>): Promise<ProxyJson>;
  deleteProxy(name: string): Promise<void>;
  addToxic(proxy: string, body: Record<string, unknown>): Promise<ToxicJson>;
  removeToxic(proxy: string, name: string): Promise<void>;
  toxics(proxy: string): Promise<ToxicJson[]>;
}

function inProcess(proxies: ProxyCollection): Control {
  return {
    createProxy: async (b) => (await proxies.create(b)).toJSON(),
    updateProxy: async (n, b) => (await proxies.update(n, b)).toJSON(),
    deleteProxy: (n) => proxies.clear().then(() => void n),
    addToxic: async (p, b) => toxicJson(proxies.get(p).toxics.add(b)),
    removeToxic: async (p, n) => proxies.get(p).toxics.remove(n),
    toxics: async (p) => proxies.get(p).toJSON().toxics,
  };
}

function remote(url: string): Control {
  const c = new ProxyClient(url);
  return {
    createProxy: (b) => c.createProxy(b),
    updateProxy: (n, b) => c.updateProxy(n, b),
    deleteProxy: (n) => c.deleteProxy(n),
    addToxic: (p, b) => c.addToxic(p, b),
    removeToxic: (p, n) => c.removeToxic(p, n),
    toxics: async (p) => (await c.proxy(p)).toxics,
  };
}

const upstreamOf = (u: ChaosProxyOptions['upstream']): string =>
  typeof u === 'number' ? `127.0.0.1:${u}` : typeof u === 'string' ? u : joinHostPort(u.host, u.port);

let seq = 0;

/**
 * A proxy in front of a dependency, for tests: no root, no daemon (it runs in this process unless
 * `control` names a running server). Give the code under test `address`, then hurt the dependency:
 *
 * ```ts
 * const db = await chaosProxy({ upstream: 5432 });
 * await db.with(latency('200ms'), async () => { ... });  // removed afterwards, also on throw
 * ```
 */
export async function chaosProxy(opts: ChaosProxyOptions): Promise<ChaosProxy> {
  const proxies = opts.control ? undefined : new ProxyCollection();
  const control = proxies ? inProcess(proxies) : remote(opts.control!);
  const name = opts.name ?? `chaos_${process.pid}_${++seq}`;
  const created = await control.createProxy({
    name,
    listen: opts.listen ?? '127.0.0.1:0',
    upstream: upstreamOf(opts.upstream),
    protocol: opts.protocol ?? 'tcp',
  });
  const at = parseHostPort(created.listen)!;
  let toxicSeq = 0;

  const add = async (...chaos: Chaos[]): Promise<ChaosHandle> => {
    const undo: (() => Promise<void>)[] = [];
    const removeAll = async () => {
      while (undo.length > 0) await undo.pop()!();
    };
    try {
      for (const c of chaos) {
        if (!('stream' in c)) {
          await control.updateProxy(name, { enabled: false });
          undo.push(async () => void (await control.updateProxy(name, { enabled: true })));
          continue;
        }
        const toxic = `${c.type}_${c.stream}_${++toxicSeq}`;
        await control.addToxic(name, { ...c, name: toxic });
        let removed = false;
        undo.push(async () => {
          if (removed) return;
          removed = true;
          await control.removeToxic(name, toxic).catch(() => {}); // a reset or close took it already
        });
      }
    } catch (e) {
      await removeAll();
      throw e;
    }
    return { remove: removeAll };
  };

  return {
    name,
    host: at.host,
    port: at.port,
    address: joinHostPort(at.host, at.port),
    url: (path = '') => `http://${joinHostPort(at.host, at.port)}${path}`,
    add,
    async with<T>(chaos: Chaos | Chaos[], fn: () => T | Promise<T>): Promise<T> {
      const h = await add(...(Array.isArray(chaos) ? chaos : [chaos]));
      try {
        return await fn();
      } finally {
        await h.remove();
      }
    },
    async reset() {
      for (const t of await control.toxics(name)) await control.removeToxic(name, t.name);
      await control.updateProxy(name, { enabled: true });
    },
    async close() {
      if (proxies) await proxies.clear();
      else await control.deleteProxy(name).catch(() => {});
    },
  };
}
