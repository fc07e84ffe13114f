import { connect } from 'node:net';
import { defineProbe, type ProbeOutcome, type ProbeSpec } from '@faultline/core';
import * as v from 'valibot';
import { run } from '../exec.js';
import { which } from '../host/which.js';
import { namespaceExists } from '../net/netns.js';
import { hostSchema, namespaceSchema, portSchema } from '../net/tunables.js';
import { healthProbeSpec } from './probe-spec.js';

/** Tunables of `probe/host-reachable` (the network faults' health checks emit exactly these). */
export const hostReachableTunables = v.pipe(
  v.object({
    host: v.optional(hostSchema),
    /** TCP connect to this port; without it, one ICMP echo (`ping -c 1 -W 1`). */
    port: v.optional(portSchema),
    /** Check from inside this network namespace. */
    namespace: v.optional(namespaceSchema),
  }),
  v.check(
    (t) => t.host !== undefined || t.namespace !== undefined,
    'host-reachable needs a host, a namespace, or both',
  ),
);

/** Without ping, a TCP SYN to this port stands in for the echo: a refusal (RST) proves the host answered. */
const FALLBACK_PORT = 7;
/** How long an ICMP echo, or its TCP stand-in, is waited for (as `ping -W 1`). */
const ECHO_WAIT_MS = 1000;

// runs inside the namespace: node's own binary, so no nc or bash /dev/tcp is assumed on the host;
// argv: host port refusedOk
const CONNECT_SCRIPT = `const [h,p,r]=process.argv.slice(1);const s=require('net').connect({host:h,port:+p});
s.on('connect',()=>process.exit(0));s.on('error',(e)=>{process.stderr.write(e.message);process.exit(r==='1'&&e.code==='ECONNREFUSED'?0:1)});`;

/**
 * `probe/host-reachable`: the health check of network faults. TCP connect when a port is given,
 * else one ICMP echo (or, where `ping` is not installed, a TCP SYN to port 7 whose refusal counts
 * as an answer); from inside `namespace` when given. With no host it checks that the namespace
 * exists and its loopback is up.
 */
export const hostReachableProbe = defineProbe({
  kind: 'probe/host-reachable',
  summary:
    'A host answers (TCP connect to a port, else ICMP echo), from a namespace when given; or a namespace exists with its loopback up.',
  tunables: hostReachableTunables,
  async run(ctx): Promise<ProbeOutcome> {
    const { host, port, namespace } = ctx.tunables;
    const where = namespace ? ` from netns ${namespace}` : '';
    if (namespace !== undefined && !(await namespaceExists(namespace))) {
      return {
        passed: false,
        message: `network namespace ${namespace} does not exist (no /run/netns/${namespace})`,
      };
    }
    if (host === undefined) return loopbackUp(namespace!, ctx.signal);
    if (port !== undefined) {
      const r = await tcpReach(host, port, namespace, ctx.signal, false);
      const why = ctx.signal.aborted ? `no answer within the probe timeout (${ctx.timeoutMs} ms)` : r.why;
      return {
        passed: r.ok,
        value: { connectMs: r.ms },
        message: r.ok
          ? `${host}:${port} accepted a TCP connection${where} in ${r.ms} ms`
          : `${host}:${port} is not reachable${where}: ${why}`,
      };
    }
    const ping = which('ping');
    if (!ping) {
      const bound = AbortSignal.any([ctx.signal, AbortSignal.timeout(ECHO_WAIT_MS)]);
      const r = await tcpReach(host, FALLBACK_PORT, namespace, bound, true);
      const note = `no ping on this host (Debian: apt-get install iputils-ping): TCP to port ${FALLBACK_PORT} stood in, a refusal counts as an answer`;
      return {
        passed: r.ok,
        value: r.ms,
        message: r.ok
          ? `${host} answered${where} in ${r.ms} ms (${note})`
          : `${host} did not answer${where}: ${bound.aborted ? `nothing within ${ECHO_WAIT_MS} ms` : r.why} (${note})`,
      };
    }
    const r = await run(ping, ['-n', '-c', '1', '-W', '1', host], opts(namespace, ctx.signal));
    const rtt = /time=([\d.]+) ms/.exec(r.stdout)?.[1];
    const passed = r.exitCode === 0 && !ctx.signal.aborted;
    return {
      passed,
      value: rtt === undefined ? null : Number(rtt),
      message: passed
        ? `${host} answered ICMP echo${where} in ${rtt ?? '?'} ms`
        : `${host} did not answer ICMP echo${where}${ctx.signal.aborted ? ` within ${ctx.timeoutMs} ms` : ''}`,
    };
  },
});

/** A `probe/host-reachable` spec (Edge mode): the network faults' health check, or a probe of your own. */
export function hostReachable(t: v.InferInput<typeof hostReachableTunables>): ProbeSpec {
  const at = `${t.host ?? ''}${t.port === undefined ? '' : `:${t.port}`}`;
  const name = ['host-reachable', at, t.namespace && `in ${t.namespace}`].filter(Boolean).join(' ');
  return healthProbeSpec(hostReachableProbe, name, t);
}

const opts = (namespace: string | undefined, signal: AbortSignal) =>
  namespace === undefined ? { signal } : { signal, netns: namespace };

/** A TCP connect, here or inside a namespace; `refusedOk`: an RST proves the host is there. */
async function tcpReach(
  host: string,
  port: number,
  namespace: string | undefined,
  signal: AbortSignal,
  refusedOk: boolean,
): Promise<{ ok: boolean; ms: number; why: string }> {
  const t0 = performance.now();
  const ms = () => Math.round(performance.now() - t0);
  if (namespace === undefined) {
    try {
      await new Promise<void>((resolve, reject) => {
        const s = connect({ host, port, signal });
        s.once('connect', () => {
          s.destroy();
          resolve();
        });
        s.once('error', reject);
      });
      return { ok: true, ms: ms(), why: '' };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return { ok: refusedOk && code === 'ECONNREFUSED', ms: ms(), why: (e as Error).message };
    }
  }
  const argv = ['-e', CONNECT_SCRIPT, host, String(port), refusedOk ? '1' : '0'];
  const r = await run(process.execPath, argv, opts(namespace, signal));
  return {
    ok: r.exitCode === 0 && !signal.aborted,
    ms: ms(),
    why: signal.aborted ? 'no answer in time' : r.stderr.trim() || `exit ${r.exitCode}`,
  };
}

async function loopbackUp(namespace: string, signal: AbortSignal): Promise<ProbeOutcome> {
  const r = await run('ip', ['-n', namespace, '-j', 'link', 'show', 'lo'], { signal });
  if (r.exitCode !== 0)
    return { passed: false, message: `cannot read the loopback of netns ${namespace}: ${r.stderr.trim()}` };
  const links = JSON.parse(r.stdout || '[]') as { flags?: string[] }[];
  const up = links[0]?.flags?.includes('UP') === true;
  return { passed: up, message: `netns ${namespace} exists; its loopback is ${up ? 'up' : 'down'}` };
}
