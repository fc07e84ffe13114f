import { type HostPort, joinHostPort, listenHost, parseHostPort } from './address.js';
import { apiError } from './api-error.js';
import { HttpFaultEngine, type HttpRule } from './http/engine.js';
import type { Match } from './http/match.js';
import { TcpListener } from './tcp-listener.js';
import { type ToxicEntry, ToxicSet, toxicJson } from './toxic-set.js';
import type { Protocol, ToxicJson } from './toxic-type.js';
import { UdpListener } from './udp-listener.js';

/** A proxy as the API shows it: Toxiproxy's fields (+ `protocol` when it is not tcp). */
export interface ProxyJson {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
  toxics: ToxicJson[];
  protocol?: Protocol;
}

/** What runs while a proxy is enabled. */
interface Running {
  readonly address: HostPort;
  close(): Promise<void>;
}

const BIND_ERRORS: Record<string, string> = {
  EADDRINUSE: 'bind: address already in use',
  EADDRNOTAVAIL: 'bind: cannot assign requested address',
  EACCES: 'bind: permission denied',
};

/** The HTTP rules in force: the proxy's HTTP toxics, in order. */
function httpRules(toxics: readonly ToxicEntry[]): HttpRule[] {
  const rules: HttpRule[] = [];
  for (const t of toxics) {
    if (!t.type.http) continue;
    rules.push({
      match: t.live.attributes as unknown as Match,
      toxicity: t.live.toxicity,
      action: t.type.http(t.live.attributes),
    });
  }
  return rules;
}

/**
 * One proxy: a listen address, an upstream, its toxics, on or off. `listen` reads as the bound
 * address once it listens (port 0 becomes the port it got), as Toxiproxy reports it.
 */
export class ToxicProxy {
  readonly toxics: ToxicSet;
  #running: Running | undefined;

  constructor(
    readonly name: string,
    public listen: string,
    public upstream: string,
    readonly protocol: Protocol = 'tcp',
  ) {
    this.toxics = new ToxicSet(() => this.protocol);
  }

  get enabled(): boolean {
    return this.#running !== undefined;
  }

  /** The bound address while enabled. */
  get address(): HostPort | undefined {
    return this.#running?.address;
  }

  #upstreamAddr(): HostPort {
    const u = parseHostPort(this.upstream);
    if (!u) throw new Error(`upstream '${this.upstream}' is not host:port`);
    return u;
  }

  /** Starts listening. Toxiproxy's 500 with Go's words when the bind fails. */
  async start(): Promise<void> {
    if (this.#running) return;
    const transport = this.protocol === 'udp' ? 'udp' : 'tcp';
    const at = parseHostPort(this.listen);
    if (!at) throw apiError(`listen ${transport}: address ${this.listen}: missing port in address`, 500);
    const listen = { host: listenHost(at.host), port: at.port };
    try {
      this.#running = await this.#open(listen);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? '';
      const why = BIND_ERRORS[code] ?? (e as Error).message;
      throw apiError(`listen ${transport} ${joinHostPort(listen.host, listen.port)}: ${why}`, 500, e);
    }
    this.listen = joinHostPort(this.#running.address.host, this.#running.address.port);
  }

  async #open(listen: HostPort): Promise<Running> {
    const target = () => this.#upstreamAddr();
    if (this.protocol === 'udp') return UdpListener.open(listen, target, this.toxics);
    if (this.protocol === 'tcp') return TcpListener.open(listen, target, this.toxics);
    // http: stream toxics on the TCP listener in front, HTTP toxics in the engine behind it
    const engine = new HttpFaultEngine({ upstream: target, rules: () => httpRules(this.toxics.list()) });
    const inner = await engine.listen({ host: '127.0.0.1', port: 0 });
    try {
      const front = await TcpListener.open(listen, () => inner, this.toxics);
      return {
        address: front.address,
        close: async () => {
          await front.close();
          await engine.close();
        },
      };
    } catch (e) {
      await engine.close();
      throw e;
    }
  }

  /** Stops listening and drops every connection (Toxiproxy's `enabled: false`). */
  async stop(): Promise<void> {
    const r = this.#running;
    this.#running = undefined;
    this.toxics.observer = undefined;
    await r?.close();
  }

  /** Would these listen/upstream values change the proxy? (`localhost` reads as 127.0.0.1, as in Go.) */
  differs(listen: string, upstream: string): boolean {
    const at = parseHostPort(listen);
    const resolved = at ? joinHostPort(listenHost(at.host), at.port) : listen;
    return resolved !== this.listen || upstream !== this.upstream;
  }

  toJSON(): ProxyJson {
    const json: ProxyJson = {
      name: this.name,
      listen: this.listen,
      upstream: this.upstream,
      enabled: this.enabled,
      toxics: this.toxics.list().map(toxicJson),
    };
    if (this.protocol !== 'tcp') json.protocol = this.protocol;
    return json;
  }
}
