import { faultContract } from '@faultline/core/testing';
import { expect } from 'vitest';
import { faultTarget } from '../../test/fault-target.js';
import type { ProxyReceipt } from './common.js';
import { proxyDown } from './down.js';
import {
  proxyHttpAbort,
  proxyHttpBody,
  proxyHttpDelay,
  proxyHttpHeader,
  proxyHttpStatus,
} from './http-faults.js';
import {
  proxyBandwidth,
  proxyLatency,
  proxyLimitData,
  proxyResetPeer,
  proxySlicer,
  proxySlowClose,
  proxyTimeout,
} from './stream-faults.js';
import { proxyUdpDuplicate, proxyUdpLoss } from './udp-faults.js';

const PACK = '@faultline/proxy';
let current: Awaited<ReturnType<typeof faultTarget>> | undefined;

/** Every toxic fault: its toxic is on the proxy, under the injection's name, while it is injected. */
async function toxicOnProxy(receipt: unknown, type: string): Promise<void> {
  const r = receipt as ProxyReceipt;
  const t = current!.server.proxies.get(r.proxy).toxics.get(r.toxic!);
  expect(t?.type.type).toBe(type);
}

function contract(
  fault: Parameters<typeof faultContract>[0],
  type: string,
  protocol: 'tcp' | 'http' | 'udp',
  extra: object,
) {
  faultContract(fault, {
    pack: PACK,
    timeoutMs: 20_000,
    setup: async () => {
      current = await faultTarget(protocol);
      return { tunables: { ...current.tunables, ...extra }, cleanup: () => current!.cleanup() };
    },
    inEffect: (receipt) => toxicOnProxy(receipt, type),
  });
}

contract(proxyLatency, 'latency', 'tcp', { latency: '200ms', jitter: '20ms', distribution: 'normal' });
contract(proxyBandwidth, 'bandwidth', 'tcp', { rate: 100 });
contract(proxySlowClose, 'slow_close', 'tcp', { delay: '1s' });
contract(proxyTimeout, 'timeout', 'tcp', { timeout: '1s' });
contract(proxyResetPeer, 'reset_peer', 'tcp', { timeout: '10ms' });
contract(proxySlicer, 'slicer', 'tcp', { averageSize: 10 });
contract(proxyLimitData, 'limit_data', 'tcp', { bytes: '1KiB' });
contract(proxyHttpStatus, 'http_status', 'http', { status: 503, path: '/api/*' });
contract(proxyHttpDelay, 'http_delay', 'http', { delay: '100ms' });
contract(proxyHttpAbort, 'http_abort', 'http', { method: 'POST' });
contract(proxyHttpBody, 'http_body', 'http', { body: '{}' });
contract(proxyHttpHeader, 'http_header', 'http', { set: { 'x-chaos': '1' } });
contract(proxyUdpLoss, 'loss', 'udp', { percent: 30 });
contract(proxyUdpDuplicate, 'duplicate', 'udp', { percent: '10%' });

faultContract(proxyDown, {
  pack: PACK,
  timeoutMs: 20_000,
  setup: async () => {
    current = await faultTarget('tcp');
    return { tunables: current.tunables, cleanup: () => current!.cleanup() };
  },
  inEffect: async () => {
    expect(current!.server.proxies.get('p').enabled).toBe(false);
  },
});
