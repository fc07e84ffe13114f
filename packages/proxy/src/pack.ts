import { definePack, type FaultRef, faultRef } from '@faultline/core';
import type { InferInput } from 'valibot';
import { proxyDown } from './faults/down.js';
import {
  proxyHttpAbort,
  proxyHttpBody,
  proxyHttpDelay,
  proxyHttpHeader,
  proxyHttpStatus,
} from './faults/http-faults.js';
import { proxyUp } from './faults/proxy-up.js';
import {
  proxyBandwidth,
  proxyLatency,
  proxyLimitData,
  proxyResetPeer,
  proxySlicer,
  proxySlowClose,
  proxyTimeout,
} from './faults/stream-faults.js';
import { proxyUdpDuplicate, proxyUdpLoss } from './faults/udp-faults.js';

/** Every `proxy/*` fault. */
export const proxyFaults = [
  proxyLatency,
  proxyBandwidth,
  proxySlowClose,
  proxyTimeout,
  proxyResetPeer,
  proxySlicer,
  proxyLimitData,
  proxyDown,
  proxyHttpStatus,
  proxyHttpDelay,
  proxyHttpAbort,
  proxyHttpBody,
  proxyHttpHeader,
  proxyUdpLoss,
  proxyUdpDuplicate,
] as const;

/** The pack: register it with a runtime; a recovering process finds it by this package name. Its faults' health check, `probe/proxy-up`, comes with it. */
export const pack = definePack({ name: '@faultline/proxy', faults: proxyFaults, probes: [proxyUp] });

type In<D extends { tunables: any }> = InferInput<D['tunables']>;

/** Typed helpers that validate tunables where they are written: `proxy.latency({ proxy: 'db', latency: '200ms' })`. */
export const proxy = {
  /** `proxy/latency`. */
  latency: (t: In<typeof proxyLatency>): FaultRef => faultRef(proxyLatency, t),
  /** `proxy/bandwidth`. */
  bandwidth: (t: In<typeof proxyBandwidth>): FaultRef => faultRef(proxyBandwidth, t),
  /** `proxy/slow-close`. */
  slowClose: (t: In<typeof proxySlowClose>): FaultRef => faultRef(proxySlowClose, t),
  /** `proxy/timeout`. */
  timeout: (t: In<typeof proxyTimeout>): FaultRef => faultRef(proxyTimeout, t),
  /** `proxy/reset-peer`. */
  resetPeer: (t: In<typeof proxyResetPeer>): FaultRef => faultRef(proxyResetPeer, t),
  /** `proxy/slicer`. */
  slicer: (t: In<typeof proxySlicer>): FaultRef => faultRef(proxySlicer, t),
  /** `proxy/limit-data`. */
  limitData: (t: In<typeof proxyLimitData>): FaultRef => faultRef(proxyLimitData, t),
  /** `proxy/down`. */
  down: (t: In<typeof proxyDown>): FaultRef => faultRef(proxyDown, t),
  /** `proxy/http-status`. */
  httpStatus: (t: In<typeof proxyHttpStatus>): FaultRef => faultRef(proxyHttpStatus, t),
  /** `proxy/http-delay`. */
  httpDelay: (t: In<typeof proxyHttpDelay>): FaultRef => faultRef(proxyHttpDelay, t),
  /** `proxy/http-abort`. */
  httpAbort: (t: In<typeof proxyHttpAbort>): FaultRef => faultRef(proxyHttpAbort, t),
  /** `proxy/http-body`. */
  httpBody: (t: In<typeof proxyHttpBody>): FaultRef => faultRef(proxyHttpBody, t),
  /** `proxy/http-header`. */
  httpHeader: (t: In<typeof proxyHttpHeader>): FaultRef => faultRef(proxyHttpHeader, t),
  /** `proxy/udp-loss`. */
  udpLoss: (t: In<typeof proxyUdpLoss>): FaultRef => faultRef(proxyUdpLoss, t),
  /** `proxy/udp-duplicate`. */
  udpDuplicate: (t: In<typeof proxyUdpDuplicate>): FaultRef => faultRef(proxyUdpDuplicate, t),
};
