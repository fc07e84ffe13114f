import { FaultlineError, parseTunables } from '@faultline/core';
import { describe, expect, it } from 'vitest';
import { dnsError } from '../dns-error.js';
import { dnsSpoof } from '../dns-spoof.js';
import { networkLatency } from '../network-latency.js';
import { networkLoss } from '../network-loss.js';
import { networkPartition } from '../network-partition.js';
import { networkPortBlock } from '../network-port-block.js';
import { networkRateLimit } from '../network-rate-limit.js';
import { buildDeleteScript, buildTableScript, type TableSpec } from './nft.js';
import { parsePortSelector } from './tunables.js';

const bad = (def: Parameters<typeof parseTunables>[0], t: unknown) => {
  try {
    parseTunables(def, t);
  } catch (e) {
    expect(e).toBeInstanceOf(FaultlineError);
    return (e as FaultlineError).code;
  }
  return 'accepted';
};

describe('network tunables are strict (bad input → FL_TUNABLES, nothing runs)', () => {
  it.each([
    ['an interface name with a space', networkLoss, { percent: 10, interfaces: ['eth 0'] }],
    ['a shell injection in an interface', networkLoss, { percent: 10, interfaces: [';rm -rf /'] }],
    ['a CIDR prefix out of range', networkPartition, { destinationIps: ['10.0.0.0/33'] }],
    ['an IPv6 prefix out of range', networkPartition, { destinationIps: ['fd00::/129'] }],
    ['not an IP', networkPartition, { destinationIps: ['10.0.0.256'] }],
    ['loss 150', networkLoss, { percent: 150 }],
    ['port 70000', networkPortBlock, { destinationPorts: [70000] }],
    ['port range backwards', networkPortBlock, { destinationPorts: ['90-80'] }],
    ['port-block without a port', networkPortBlock, {}],
    ['ports with icmp', networkLoss, { percent: 5, protocol: 'icmp', destinationPorts: [80] }],
    ['an unknown tunable', networkLoss, { percent: 5, precent: 5 }],
    ['a namespace with a slash', networkLoss, { percent: 5, namespace: '../x' }],
    ['a host with a quote', networkLoss, { percent: 5, destinationHosts: ['a"b'] }],
    ['a bad rate', networkRateLimit, { rate: '1 mbit; reboot' }],
    ['a bad latency', networkLatency, { latency: 'soon' }],
    ['a spoof to a non-IP', dnsSpoof, { spoofMap: { 'a.test': 'evil;' } }],
    ['an empty spoof map', dnsSpoof, { spoofMap: {} }],
    ['dns-error without names', dnsError, { targetHostnames: [] }],
    ['a DNS port 0', dnsError, { targetHostnames: ['a'], port: 0 }],
  ])('%s', (_why, def, t) => {
    expect(bad(def, t)).toBe('FL_TUNABLES');
  });

  it('accepts the documented forms and applies defaults', () => {
    expect(parseTunables(networkLoss, { percent: '12.5%' })).toMatchObject({
      direction: 'egress',
      protocol: 'all',
      whitelistSsh: true,
    });
    expect(parseTunables(networkPartition, {})).toMatchObject({ direction: 'both' });
    expect(parseTunables(networkPortBlock, { destinationPorts: ['!22', '8000-8080', 443] })).toMatchObject({
      action: 'reject',
      direction: 'ingress',
      protocol: 'tcp',
    });
    expect(parsePortSelector('!22')).toEqual({ exclude: true, from: 22, to: 22 });
  });
});

describe('nft scripts', () => {
  it('an idempotent netdev loss table: add + delete first, egress drops stolen to the sink, ingress dropped', () => {
    const s = buildTableScript({
      name: 'faultline_abc_x',
      family: 'netdev',
      interfaces: ['eth0'],
      egress: true,
      ingress: true,
      whitelistSsh: true,
      sink: 'faultline123abc',
      verdict: { type: 'loss', percent: 30 },
      match: {
        remoteIps: ['10.0.0.7', 'fd00::1'],
        protocol: 'udp',
        localPorts: [],
        remotePorts: [{ exclude: true, from: 53, to: 53 }],
      },
    });
    expect(s).toBe(
      [
        'add table netdev faultline_abc_x',
        'delete table netdev faultline_abc_x',
        'table netdev faultline_abc_x {',
        '  chain egress_0 {',
        '    type filter hook egress device "eth0" priority -10; policy accept;',
        '    tcp sport { 22, 2222 } accept',
        '    tcp dport { 22, 2222 } accept',
        '    ip daddr { 10.0.0.7 } meta l4proto udp th dport != { 53 } numgen random mod 10000 < 3000 fwd to "faultline123abc"',
        '    ip6 daddr { fd00::1 } meta l4proto udp th dport != { 53 } numgen random mod 10000 < 3000 fwd to "faultline123abc"',
        '  }',
        '  chain ingress_0 {',
        '    type filter hook ingress device "eth0" priority -10; policy accept;',
        '    tcp sport { 22, 2222 } accept',
        '    tcp dport { 22, 2222 } accept',
        '    ip saddr { 10.0.0.7 } meta l4proto udp th sport != { 53 } numgen random mod 10000 < 3000 drop',
        '    ip6 saddr { fd00::1 } meta l4proto udp th sport != { 53 } numgen random mod 10000 < 3000 drop',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
  });
  it('100% loss matches every packet with no numgen; an egress drop without a sink is refused; revert deletes idempotently', () => {
    const spec: TableSpec = {
      name: 't',
      family: 'netdev',
      interfaces: ['eth0'],
      egress: true,
      ingress: false,
      whitelistSsh: false,
      verdict: { type: 'loss', percent: 100 },
      match: { remoteIps: [], protocol: 'all', localPorts: [], remotePorts: [] },
    };
    const s = buildTableScript({ ...spec, sink: 'faultlinesink01' });
    expect(s).toContain('meta protocol { ip, ip6 } fwd to "faultlinesink01"');
    expect(s).not.toContain('numgen');
    expect(() => buildTableScript(spec)).toThrow(/needs a sink device/);
    expect(buildDeleteScript('t', ['netdev', 'inet'])).toBe(
      'add table netdev t\ndelete table netdev t\nadd table inet t\ndelete table inet t\n',
    );
  });
});
