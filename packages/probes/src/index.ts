/**
 * @faultline/probes — the probe pack: http, cmd, tcp, prometheus, with fluent builders that produce
 * plain ProbeSpec JSON. (The health checks of the Linux faults come with @faultline/faults-linux.)
 */
import { definePack } from '@faultline/core';
import { cmdProbe } from './cmd.js';
import { httpProbe } from './http.js';
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
  http,
  PrometheusProbeBuilder,
  prometheus,
  TcpProbeBuilder,
  tcp,
} from './builders.js';
export { cmdProbe, cmdTunables } from './cmd.js';
export { numberComparatorSchema, stringComparatorSchema } from './expect.js';
export { HTTP_METHODS, httpProbe, httpTunables } from './http.js';
export { parseJsonPath, readJsonPath } from './json-path.js';
export { prometheusProbe, prometheusTunables } from './prometheus.js';
export { tcpProbe, tcpTunables } from './tcp.js';

/** The pack: register it (`registry.register(pack)` or `createRuntime({ packs: [pack] })`). */
export const pack = definePack({
  name: '@faultline/probes',
  version: '0.1.0',
  probes: [httpProbe, cmdProbe, tcpProbe, prometheusProbe],
});

export default pack;
