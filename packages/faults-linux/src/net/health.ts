import type { ProbeSpec } from '@faultline/core';

/**
 * The default Edge health check of a network fault: is the first named destination reachable
 * (`probe/host-reachable`), else is the infrastructure responsive at all (`probe/infra-responsive`).
 */
export function networkHealthCheck(
  kind: string,
  t: { destinationHosts?: string[]; destinationIps?: string[]; namespace?: string | undefined },
): ProbeSpec {
  const host = t.destinationHosts?.[0] ?? t.destinationIps?.find((ip) => !ip.includes('/'));
  if (host === undefined)
    return { name: `${kind} health`, kind: 'probe/infra-responsive', mode: 'Edge', tunables: {} };
  return {
    name: `${kind} health`,
    kind: 'probe/host-reachable',
    mode: 'Edge',
    tunables: t.namespace ? { host, namespace: t.namespace } : { host },
  };
}
