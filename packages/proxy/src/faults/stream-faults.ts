import { durationSchema, parseDuration, parseSize, sizeSchema } from '@faultline/core';
import * as v from 'valibot';
import { DISTRIBUTIONS } from '../jitter.js';
import { toxicFault } from './toxic-fault.js';

const ms = (d: string | number) => Math.round(parseDuration(d));
const count = () => v.pipe(v.number(), v.integer(), v.minValue(0));

/** `proxy/latency`: latency ± jitter on every chunk (TCP) or datagram (UDP) of the proxy. */
export const proxyLatency = toxicFault({
  kind: 'proxy/latency',
  summary: 'Delays the data through a proxy by latency ± jitter (uniform, normal or pareto)',
  type: 'latency',
  tunables: {
    latency: durationSchema(),
    jitter: v.optional(durationSchema(), 0),
    distribution: v.optional(v.picklist(DISTRIBUTIONS), 'uniform'),
  },
  attributes: (t) => ({ latency: ms(t.latency), jitter: ms(t.jitter), distribution: t.distribution }),
});

/** `proxy/bandwidth`: at most `rate` KB/s per connection, or shared by the proxy (`scope: 'proxy'`). */
export const proxyBandwidth = toxicFault({
  kind: 'proxy/bandwidth',
  summary: 'Limits the throughput of a proxy to rate KB/s, per connection or per proxy',
  type: 'bandwidth',
  tunables: {
    rate: v.pipe(count(), v.minValue(1)),
    scope: v.optional(v.picklist(['connection', 'proxy']), 'connection'),
  },
  attributes: (t) => ({ rate: t.rate, scope: t.scope }),
});

/** `proxy/slow-close`: the close of each connection waits `delay`. */
export const proxySlowClose = toxicFault({
  kind: 'proxy/slow-close',
  summary: 'Delays the close of the connections through a proxy',
  type: 'slow_close',
  tunables: { delay: durationSchema() },
  attributes: (t) => ({ delay: ms(t.delay) }),
});

/** `proxy/timeout`: data stops; connections close after `timeout` (0 = held open, a black hole). */
export const proxyTimeout = toxicFault({
  kind: 'proxy/timeout',
  summary: 'Stops the data through a proxy and closes its connections after a timeout (0 = never)',
  type: 'timeout',
  tunables: { timeout: v.optional(durationSchema(), 0) },
  attributes: (t) => ({ timeout: ms(t.timeout) }),
});

/** `proxy/reset-peer`: connections are reset (TCP RST) `timeout` after their first data. */
export const proxyResetPeer = toxicFault({
  kind: 'proxy/reset-peer',
  summary: 'Resets the connections through a proxy (TCP RST, ECONNRESET) on their first data',
  type: 'reset_peer',
  tunables: { timeout: v.optional(durationSchema(), 0) },
  attributes: (t) => ({ timeout: ms(t.timeout) }),
});

/** `proxy/slicer`: data goes in small slices, `delayMicros` apart. */
export const proxySlicer = toxicFault({
  kind: 'proxy/slicer',
  summary: 'Slices the data through a proxy into small writes',
  type: 'slicer',
  tunables: {
    averageSize: v.pipe(count(), v.minValue(1)),
    sizeVariation: v.optional(count(), 0),
    delayMicros: v.optional(count(), 0),
  },
  attributes: (t) => ({ average_size: t.averageSize, size_variation: t.sizeVariation, delay: t.delayMicros }),
});

/** `proxy/limit-data`: each connection closes once `bytes` went through. */
export const proxyLimitData = toxicFault({
  kind: 'proxy/limit-data',
  summary: 'Closes each connection through a proxy after a number of bytes',
  type: 'limit_data',
  tunables: { bytes: sizeSchema() },
  attributes: (t) => ({ bytes: Math.round(parseSize(t.bytes)) }),
});
