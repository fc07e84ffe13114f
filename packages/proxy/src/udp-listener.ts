import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { HostPort } from './address.js';
import { Chain, ChainPair } from './chain.js';
import type { LinkContext, Target } from './stage.js';
import type { ToxicEntry, ToxicObserver, ToxicSet } from './toxic-set.js';

/** A UDP flow with no datagram either way for this long is forgotten (its upstream socket closed). */
export const UDP_IDLE_MS = 60_000;

/** UDP has no connection to close or reset: those toxics do not apply, and a drop needs no accounting. */
const datagramCtx: LinkContext = { release: () => {}, close: () => {}, reset: () => {} };

/**
 * One client's flow (its address and port): its own upstream socket, so replies find their way back,
 * and a chain per direction. Toxicity is drawn per flow, as it is per connection over TCP.
 */
class Flow {
  readonly chains: ChainPair;
  readonly #upstream: Socket;
  #idle: NodeJS.Timeout;

  constructor(
    front: Socket,
    client: RemoteInfo,
    target: HostPort,
    toxics: readonly ToxicEntry[],
    onIdle: () => void,
  ) {
    const upstream = createSocket(isIPv6(target.host) ? 'udp6' : 'udp4');
    this.#upstream = upstream;
    const toUpstream: Target = {
      write: (d) => upstream.send(d, target.port, target.host),
      end: () => {},
    };
    const toClient: Target = {
      write: (d) => front.send(d, client.port, client.address),
      end: () => {},
    };
    this.chains = new ChainPair(new Chain(toUpstream), new Chain(toClient), () => datagramCtx);
    for (const t of toxics) this.chains.place(t);
    upstream.on('message', (d) => {
      this.#touch();
      this.chains.down.head.write(d);
    });
    upstream.on('error', () => {}); // ICMP unreachable and the like: UDP carries on
    this.#idle = setTimeout(onIdle, UDP_IDLE_MS);
  }

  send(d: Buffer): void {
    this.#touch();
    this.chains.up.head.write(d);
  }

  #touch(): void {
    this.#idle.refresh();
  }

  close(): void {
    clearTimeout(this.#idle);
    this.chains.destroy();
    this.#upstream.close();
  }
}

/** A UDP proxy: datagrams from each client go to the upstream through the proxy's datagram toxics. */
export class UdpListener implements ToxicObserver {
  readonly #flows = new Map<string, Flow>();

  private constructor(
    private readonly socket: Socket,
    readonly address: HostPort,
  ) {}

  static async open(listen: HostPort, target: () => HostPort, toxics: ToxicSet): Promise<UdpListener> {
    const socket = createSocket(isIPv6(listen.host) ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: listen.host, port: listen.port, exclusive: true }, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    const a = socket.address();
    const l = new UdpListener(socket, { host: a.address, port: a.port });
    socket.on('message', (d, rinfo) => {
      const key = `${rinfo.address}|${rinfo.port}`;
      let flow = l.#flows.get(key);
      if (!flow) {
        let to: HostPort;
        try {
          to = target();
        } catch {
          return; // an upstream that is not host:port: the datagram is dropped
        }
        flow = new Flow(socket, rinfo, to, toxics.list(), () => {
          l.#flows.get(key)?.close();
          l.#flows.delete(key);
        });
        l.#flows.set(key, flow);
      }
      flow.send(d);
    });
    socket.on('error', () => {});
    toxics.observer = l;
    return l;
  }

  added(t: ToxicEntry): void {
    for (const f of this.#flows.values()) f.chains.place(t);
  }
  updated(t: ToxicEntry): void {
    for (const f of this.#flows.values()) f.chains.redraw(t);
  }
  removed(t: ToxicEntry): void {
    for (const f of this.#flows.values()) f.chains.unplace(t);
  }

  async close(): Promise<void> {
    for (const f of this.#flows.values()) f.close();
    this.#flows.clear();
    await new Promise<void>((r) => this.socket.close(() => r()));
  }
}
