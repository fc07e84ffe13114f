import { describe, expect, it } from 'vitest';
import { parsePortSelector } from './tunables.js';
import { classifierLines, MAX_FILTERS, portBlocks } from './u32.js';

const ports = (...ps: (string | number)[]) => ps.map((p) => parsePortSelector(p)!);
const match = (o: Partial<Parameters<typeof classifierLines>[2]['match']> = {}) => ({
  remoteIps: [],
  protocol: 'all' as const,
  localPorts: [],
  remotePorts: [],
  ...o,
});

describe('u32 classifier (pure)', () => {
  it('splits a port range into aligned value/mask blocks that cover exactly the range', () => {
    expect(portBlocks({ from: 8000, to: 8090 })).toEqual([
      { value: 8000, mask: 0xffc0 },
      { value: 8064, mask: 0xfff0 },
      { value: 8080, mask: 0xfff8 },
      { value: 8088, mask: 0xfffe },
      { value: 8090, mask: 0xffff },
    ]);
    for (const [from, to] of [
      [1, 65535],
      [22, 22],
      [1000, 1999],
    ] as const) {
      const covered = portBlocks({ from, to }).reduce((n, b) => n + (0x10000 - b.mask), 0);
      expect(covered).toBe(to - from + 1);
    }
  });

  it('sends SSH and excluded ports straight out, before the targets', () => {
    const lines = classifierLines('eth0', 'f001:', {
      dir: 'egress',
      whitelistSsh: true,
      match: match({ protocol: 'udp', remotePorts: ports('5000-5001', '!5001') }),
    });
    expect(lines).toEqual([
      'filter add dev eth0 parent f001: protocol ip prio 2 u32 match ip protocol 6 0xff match ip sport 22 0xffff flowid f001:',
      'filter add dev eth0 parent f001: protocol ip prio 2 u32 match ip protocol 6 0xff match ip dport 22 0xffff flowid f001:',
      'filter add dev eth0 parent f001: protocol ip prio 2 u32 match ip protocol 6 0xff match ip sport 2222 0xffff flowid f001:',
      'filter add dev eth0 parent f001: protocol ip prio 2 u32 match ip protocol 6 0xff match ip dport 2222 0xffff flowid f001:',
      'filter add dev eth0 parent f001: protocol ip prio 2 u32 match ip protocol 17 0xff match ip dport 5001 0xffff flowid f001:',
      'filter add dev eth0 parent f001: protocol ipv6 prio 3 u32 match ip6 protocol 6 0xff match ip6 sport 22 0xffff flowid f001:',
      'filter add dev eth0 parent f001: protocol ipv6 prio 3 u32 match ip6 protocol 6 0xff match ip6 dport 22 0xffff flowid f001:',
      'filter add dev eth0 parent f001: protocol ipv6 prio 3 u32 match ip6 protocol 6 0xff match ip6 sport 2222 0xffff flowid f001:',
      'filter add dev eth0 parent f001: protocol ipv6 prio 3 u32 match ip6 protocol 6 0xff match ip6 dport 2222 0xffff flowid f001:',
      'filter add dev eth0 parent f001: protocol ipv6 prio 3 u32 match ip6 protocol 17 0xff match ip6 dport 5001 0xffff flowid f001:',
      'filter add dev eth0 parent f001: protocol ip prio 14 u32 match ip protocol 17 0xff match ip dport 5000 0xfffe flowid f001:1',
      'filter add dev eth0 parent f001: protocol ipv6 prio 16 u32 match ip6 protocol 17 0xff match ip6 dport 5000 0xfffe flowid f001:1',
    ]);
  });

  it('on the ifb (ingress) the remote end is the source; with nothing to narrow, every packet is shaped', () => {
    expect(
      classifierLines('faultline123456', 'f002:', {
        dir: 'ingress',
        whitelistSsh: false,
        match: match({ remoteIps: ['10.0.0.0/8', 'fd00::1'], localPorts: ports(80) }),
      }),
    ).toEqual([
      'filter add dev faultline123456 parent f002: protocol ip prio 14 u32 match ip src 10.0.0.0/8 match ip protocol 6 0xff match ip dport 80 0xffff flowid f002:1',
      'filter add dev faultline123456 parent f002: protocol ip prio 14 u32 match ip src 10.0.0.0/8 match ip protocol 17 0xff match ip dport 80 0xffff flowid f002:1',
      'filter add dev faultline123456 parent f002: protocol ipv6 prio 16 u32 match ip6 src fd00::1 match ip6 protocol 6 0xff match ip6 dport 80 0xffff flowid f002:1',
      'filter add dev faultline123456 parent f002: protocol ipv6 prio 16 u32 match ip6 src fd00::1 match ip6 protocol 17 0xff match ip6 dport 80 0xffff flowid f002:1',
    ]);
    expect(classifierLines('eth0', 'f003:', { dir: 'egress', whitelistSsh: false, match: match() })).toEqual([
      'filter add dev eth0 parent f003: protocol all prio 20 u32 match u32 0 0 flowid f003:1',
    ]);
  });

  it('refuses a targeting that would need too many filters, saying how to narrow it', () => {
    const remoteIps = Array.from({ length: 200 }, (_, i) => `10.0.${i}.1`);
    expect(() =>
      classifierLines('eth0', 'f004:', {
        dir: 'egress',
        whitelistSsh: false,
        match: match({ remoteIps, remotePorts: ports('1000-1010') }),
      }),
    ).toThrow(new RegExp(`the limit is ${MAX_FILTERS}\\): use CIDRs`));
  });
});
