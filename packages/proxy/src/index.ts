/**
 * @faultline/proxy — a rootless TCP/UDP/HTTP fault proxy: Toxiproxy's toxics and control API, plus
 * HTTP faults, UDP loss, jitter distributions and per-proxy bandwidth; test-suite helpers; and the
 * `proxy/*` faults for faultline experiments.
 */
export { type HostPort, joinHostPort, parseHostPort } from './address.js';
export { controlApi } from './api.js';
export { type ApiErrorBody, apiErrorBody } from './api-error.js';
export {
  bandwidth,
  type Chaos,
  type DownSpec,
  down,
  type HttpMatch,
  httpAbort,
  httpBody,
  httpDelay,
  httpHeader,
  httpStatus,
  latency,
  limitData,
  resetPeer,
  slicer,
  slowClose,
  type ToxicOptions,
  type ToxicSpec,
  timeout,
  udpDuplicate,
  udpLoss,
} from './builders.js';
export {
  type ChaosHandle,
  type ChaosProxy,
  type ChaosProxyOptions,
  chaosProxy,
} from './chaos-proxy.js';
export { isUnreachable, ProxyClient } from './client.js';
export { ProxyCollection, type ProxyInput } from './collection.js';
export type { ProxyReceipt } from './faults/common.js';
export { type ToxicFaultSpec, toxicFault } from './faults/toxic-fault.js';
export type { HttpAction } from './http/action.js';
export {
  HttpFaultEngine,
  type HttpFaultEngineOptions,
  type HttpRule,
  type UpstreamOf,
} from './http/engine.js';
export type { Match } from './http/match.js';
export { DISTRIBUTIONS, type Distribution, drawDelay, PARETO_CAP } from './jitter.js';
export { LINK_HIGH_WATER } from './link.js';
export { pack, proxy, proxyFaults } from './pack.js';
export { type ProxyJson, ToxicProxy } from './proxy.js';
export { type ProxyServer, type ProxyServerOptions, startProxyServer } from './server.js';
export type { Protocol, Stream, ToxicJson } from './toxic-type.js';
export { TOXIC_TYPES } from './toxics/index.js';
export { UDP_IDLE_MS } from './udp-listener.js';
export { VERSION } from './version.js';

import { pack } from './pack.js';
export default pack;
