import { existsSync } from 'node:fs';
import { defineProbe, FaultlineError } from '@faultline/core';
import * as v from 'valibot';
import { runBounded } from './exec.js';
import { reason } from './expect.js';
import { inNamespace, netnsSchema } from './netns.js';
import { hostSchema, portSchema, tcpConnect } from './tcp.js';
import { which } from './which.js';

/** Tunables of `probe/host-reachable` (the fault packs emit exactly these). */
export const hostReachableTunables = v.pipe(
  v.object({
    host: v.optional(hostSchema),
    /** TCP connect to this port; without it, one ICMP echo (`ping -c 1 -W 1`). */
    port: v.optional(portSchema),
    /** Check from inside this network namespace. */
    namespace: v.optional(netnsSchema),
  }),
  v.check(
    (t) => t.host !== undefined || t.namespace !== undefined,
    'host-reachable needs a host, a namespace, or both',
  ),
);

// runs inside the namespace: node's own binary, so no nc/bash /dev/tcp is assumed on the host
const CONNECT_SCRIPT = `const s=require('net').connect({host:process.argv[1],port:+process.argv[2]});
s.on('connect',()=>process.exit(0));s.on('error',(e)=>{process.stderr.write(e.message);process.exit(1)});`;

/**
 * `probe/host-reachable`: the health check of network faults. TCP connect when a port is given,
 * else ICMP echo; inside `namespace` when given. With no host it checks that the namespace exists
 * and its loopback is up.
 */
export const hostReachableProbe = defineProbe({
  kind: 'probe/host-reachable',
  summary:
    'A host answers (TCP connect to a port, else ICMP echo), from a namespace when given; or a namespace exists with its loopback up.',
  tunables: hostReachableTunables,
  async run(ctx) {
    const { host, port, namespace } = ctx.tunables;
    const where = namespace ? ` from netns ${namespace}` : '';
    if (namespace !== undefined && !existsSync(`/run/netns/${namespace}`)) {
      return {
        passed: false,
        message: `network namespace ${namespace} does not exist (no /run/netns/${namespace})`,
      };
    }
    if (host === undefined) return loopbackUp(namespace!, ctx.signal);
    if (port !== undefined) {
      if (namespace === undefined) {
        try {
          const c = await tcpConnect(host, port, ctx.signal);
          return {
            passed: true,
            value: { connectMs: c.connectMs },
            message: `${host}:${port} accepted a TCP connection in ${c.connectMs} ms`,
          };
        } catch (e) {
          return {
            passed: false,
            message: `${host}:${port} is not reachable: ${reason(e, ctx.signal, ctx.timeoutMs)}`,
          };
        }
      }
      const r = await runBounded(
        inNamespace([process.execPath, '-e', CONNECT_SCRIPT, host, String(port)], namespace),
        ctx.signal,
      );
      const passed = r.exitCode === 0;
      const why = r.timedOut
        ? `no answer within ${ctx.timeoutMs} ms`
        : r.stderr.trim() || r.error || `exit ${r.exitCode}`;
      return {
        passed,
        value: { durationMs: r.durationMs },
        message: passed
          ? `${host}:${port} accepted a TCP connection${where}`
          : `${host}:${port} is not reachable${where}: ${why}`,
      };
    }
    const ping = which('ping');
    if (!ping) {
      throw new FaultlineError(
        'FL_PROBE',
        `probe/host-reachable needs 'ping' for an ICMP check of ${host}: install it (Debian: apt-get install iputils-ping), or give a port for a TCP check`,
      );
    }
    const r = await runBounded(inNamespace([ping, '-n', '-c', '1', '-W', '1', host], namespace), ctx.signal);
    const rtt = /time=([\d.]+) ms/.exec(r.stdout)?.[1];
    const passed = r.exitCode === 0;
    return {
      passed,
      value: rtt === undefined ? null : Number(rtt),
      message: passed
        ? `${host} answered ICMP echo${where} in ${rtt ?? '?'} ms`
        : `${host} did not answer ICMP echo${where}${r.timedOut ? ` within ${ctx.timeoutMs} ms` : ''}`,
    };
  },
});

async function loopbackUp(namespace: string, signal: AbortSignal) {
  const r = await runBounded(['ip', '-n', namespace, '-j', 'link', 'show', 'lo'], signal);
  if (r.exitCode !== 0)
    return {
      passed: false,
      message: `cannot read the loopback of netns ${namespace}: ${r.stderr.trim() || r.error}`,
    };
  const links = JSON.parse(r.stdout || '[]') as { flags?: string[]; operstate?: string }[];
  const up = links[0]?.flags?.includes('UP') === true;
  return { passed: up, message: `netns ${namespace} exists; its loopback is ${up ? 'up' : 'down'}` };
}
