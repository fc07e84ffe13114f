/**
 * @faultline/probes — the probe pack: http, cmd, tcp, prometheus, and the health checks the fault
 * packs emit (host-reachable, process-alive, infra-responsive), plus fluent builders that produce
 * plain ProbeSpec JSON.
 */
import { definePack } from '@faultline/core';
import { cmdProbe } from './cmd.js';
import { hostReachableProbe } from './host-reachable.js';
import { httpProbe } from './http.js';
import { infraResponsiveProbe } from './infra-responsive.js';
import { processAliveProbe } from './process-alive.js';
import { prometheusProbe } from './prometheus.js';
import { tcpProbe } from './tcp.js';

export {
  type NumberCriterion,
  type NumberExpectation,
  numberComparator,
  ProbeBuilder,
  type StringCriterion,
  type StringExpectation,
  stringComparator,
} from './builder.js';
export {
  CmdProbeBuilder,
  cmd,
  HttpProbeBuilder,
  hostReachable,
  http,
  infraResponsive,
  PrometheusProbeBuilder,
  processAlive,
  prometheus,
  TcpProbeBuilder,
  tcp,
} from './builders.js';
export { cmdProbe, cmdTunables } from './cmd.js';
export { numberComparatorSchema, stringComparatorSchema } from './expect.js';
export { hostReachableProbe, hostReachableTunables } from './host-reachable.js';
export { HTTP_METHODS, httpProbe, httpTunables } from './http.js';
export { infraResponsiveProbe, infraResponsiveTunables } from './infra-responsive.js';
export { parseJsonPath, readJsonPath } from './json-path.js';
export { currentThreadId, makeThreadRealtime, type PriorityChange } from './priority.js';
export { processAliveProbe, processAliveTunables } from './process-alive.js';
export { prometheusProbe, prometheusTunables } from './prometheus.js';
export { type EveryOptions, every, type Ticker, type TickInfo } from './schedule.js';
export { tcpProbe, tcpTunables } from './tcp.js';

/** The pack: register it (`registry.register(pack)` or `createRuntime({ packs: [pack] })`). */
export const pack = definePack({
  name: '@faultline/probes',
  version: '0.1.0',
  probes: [
    httpProbe,
    cmdProbe,
    tcpProbe,
    prometheusProbe,
    hostReachableProbe,
    processAliveProbe,
    infraResponsiveProbe,
  ],
});

export default pack;
