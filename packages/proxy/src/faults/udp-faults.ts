import { parsePercent, percentSchema } from '@faultline/core';
import { toxicFault } from './toxic-fault.js';

/** `proxy/udp-loss`: drops `percent` % of the datagrams through a udp proxy. */
export const proxyUdpLoss = toxicFault({
  kind: 'proxy/udp-loss',
  summary: 'Drops a share of the datagrams through a udp proxy',
  type: 'loss',
  tunables: { percent: percentSchema() },
  attributes: (t) => ({ percent: parsePercent(t.percent) }),
});

/** `proxy/udp-duplicate`: sends `percent` % of the datagrams through a udp proxy twice. */
export const proxyUdpDuplicate = toxicFault({
  kind: 'proxy/udp-duplicate',
  summary: 'Duplicates a share of the datagrams through a udp proxy',
  type: 'duplicate',
  tunables: { percent: percentSchema() },
  attributes: (t) => ({ percent: parsePercent(t.percent) }),
});
