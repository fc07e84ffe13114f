import type { ProbeSpec } from '@faultline/core';
import { hostReachable } from '../health/host-reachable.js';
import { infraResponsive } from '../health/infra-responsive.js';
import type { TargetTunables } from './tunables.js';

/**
 * The default Edge health check of a network fault: is the first named destination reachable
 * (`probe/host-reachable`, from the fault's namespace), else is the infrastructure responsive at all
 * (`probe/infra-responsive`).
 */
export function networkHealthCheck(
  t: Pick<TargetTunables, 'destinationHosts' | 'destinationIps' | 'namespace'>,
): ProbeSpec {
  const host = t.destinationHosts[0] ?? t.destinationIps.find((ip) => !ip.includes('/'));
  if (host === undefined) return infraResponsive();
  return hostReachable(t.namespace === undefined ? { host } : { host, namespace: t.namespace });
}
