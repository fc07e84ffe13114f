import { Registry } from '@faultline/core';
import { describe, expect, it } from 'vitest';
import * as api from './index.js';
import pack, { proxy, proxyFaults, TOXIC_TYPES } from './index.js';

describe('@faultline/proxy entry', () => {
  it('exports exactly this list (the API grows on purpose)', () => {
    expect(Object.keys(api).sort()).toEqual(
      [
        'DISTRIBUTIONS',
        'HttpFaultEngine',
        'LINK_HIGH_WATER',
        'PARETO_CAP',
        'ProxyClient',
        'ProxyCollection',
        'TOXIC_TYPES',
        'ToxicProxy',
        'UDP_IDLE_MS',
        'VERSION',
        'apiErrorBody',
        'bandwidth',
        'chaosProxy',
        'controlApi',
        'default',
        'down',
        'drawDelay',
        'httpAbort',
        'httpBody',
        'httpDelay',
        'httpHeader',
        'httpStatus',
        'isUnreachable',
        'joinHostPort',
        'latency',
        'limitData',
        'pack',
        'parseHostPort',
        'proxy',
        'proxyFaults',
        'resetPeer',
        'slicer',
        'slowClose',
        'startProxyServer',
        'timeout',
        'toxicFault',
        'udpDuplicate',
        'udpLoss',
      ].sort(),
    );
  });

  it('registers every proxy/* kind under the package name', () => {
    const reg = new Registry().register(pack);
    expect(reg.faultKinds()).toEqual(proxyFaults.map((f) => f.kind).sort());
    for (const f of proxyFaults) expect(reg.fault(f.kind).pack).toBe('@faultline/proxy');
    expect(pack.name).toBe('@faultline/proxy');
  });

  it('helpers validate where the spec is written', () => {
    expect(proxy.latency({ proxy: 'db', latency: '200ms' })).toEqual({
      kind: 'proxy/latency',
      tunables: { proxy: 'db', latency: '200ms' },
    });
    expect(() => proxy.latency({ proxy: 'db', latency: 'soon' })).toThrow(/FL_TUNABLES/);
    expect(() => proxy.udpLoss({ proxy: 'dns', percent: 130 })).toThrow(/FL_TUNABLES/);
    expect(() => proxy.httpStatus({ proxy: 'api', status: 99 })).toThrow(/FL_TUNABLES/);
    expect(() => proxy.latency({ proxy: 'db', latency: '1s', control: 'file:///etc' } as never)).toThrow(
      /FL_TUNABLES/,
    );
  });

  it('every toxic fault names a toxic type the proxy knows', () => {
    for (const t of ['latency', 'bandwidth', 'slow_close', 'timeout', 'reset_peer', 'slicer', 'limit_data'])
      expect(TOXIC_TYPES.get(t)?.protocols).toContain('tcp');
    for (const t of ['loss', 'duplicate']) expect(TOXIC_TYPES.get(t)?.protocols).toEqual(['udp']);
  });
});
