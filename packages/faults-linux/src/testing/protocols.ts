// How the packet faults' tests measure a fault with each protocol: ping and UDP together (and ping
// to an address the fault does not target), and one TCP transfer through the fault. Tests only.
import { setTimeout as sleep } from 'node:timers/promises';
import { measurePingLoss, measureTcpTransfer, measureUdpLoss } from './measure.js';
import type { NetnsPair } from './netns.js';

/** Ping and a UDP echo from `a` to `host` at once, and ping to `untargeted` when given. */
export async function pingAndUdp(
  pair: NetnsPair,
  o: { host: string; untargeted?: string; pings?: number; datagrams?: number; udpPort?: number },
) {
  const [ping, udp, untargeted] = await Promise.all([
    measurePingLoss(pair, { from: pair.a, host: o.host, count: o.pings ?? 400 }),
    measureUdpLoss(pair, {
      from: pair.a,
      to: pair.b,
      host: o.host,
      count: o.datagrams ?? 600,
      ...(o.udpPort ? { port: o.udpPort } : {}),
    }),
    o.untargeted ? measurePingLoss(pair, { from: pair.a, host: o.untargeted, count: 100 }) : undefined,
  ]);
  return { ping, udp, untargeted };
}

/**
 * Sends `bytes` over a TCP connection from `a` to `host`, opened before `inject()` runs; with
 * `healAfterMs`, `revert()` runs that long after the send started, while it is under way. The caller
 * reverts again in its `finally` (idempotent), in case the transfer failed first.
 */
export async function transferThrough<R>(
  pair: NetnsPair,
  o: { host: string; bytes: number; healAfterMs?: number },
  fault: { inject(): Promise<R>; revert(receipt: R | undefined): Promise<void> },
) {
  let receipt: R | undefined;
  return measureTcpTransfer(
    pair,
    { from: pair.a, to: pair.b, host: o.host, bytes: o.bytes },
    {
      beforeSend: async () => {
        receipt = await fault.inject();
      },
      ...(o.healAfterMs === undefined
        ? {}
        : {
            whileSending: async () => {
              await sleep(o.healAfterMs);
              await fault.revert(receipt);
            },
          }),
    },
  );
}
