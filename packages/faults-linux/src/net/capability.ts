import type { Capability } from '@faultline/core';
import { run } from '../exec.js';

const cache = new Map<string, Promise<Capability>>();

/** Runs a capability probe once per process: the answer does not change while we run. */
function once(key: string, probe: () => Promise<Capability>): Promise<Capability> {
  let p = cache.get(key);
  if (!p) {
    p = probe();
    cache.set(key, p);
  }
  return p;
}

/** Adds a root qdisc on `lo` of a throwaway network namespace: whether the kernel has that qdisc, with no side effect. */
function tryRootQdisc(qdisc: string[]) {
  return run('unshare', ['--net', 'tc', 'qdisc', 'add', 'dev', 'lo', 'root', ...qdisc]);
}

function notRoot(): Capability | undefined {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return {
      available: false,
      reason: 'network faults change nftables and qdiscs: they need root (CAP_NET_ADMIN)',
      fix: 'run as root, or grant CAP_NET_ADMIN',
    };
  }
  return undefined;
}

/**
 * Can this host load what the nft faults use — a netdev table with an egress hook (kernel >= 5.16)
 * that forwards to a device (`fwd`, the silent drop), an inet reject, a nat redirect — and make an
 * ifb device (the sink)? Checked in throwaway namespaces: `nft -c` validates and commits nothing.
 */
export function nftCapability(): Promise<Capability> {
  return once('nft', async () => {
    const root = notRoot();
    if (root) return root;
    const script = [
      'table netdev faultline_check {',
      '  chain e {',
      '    type filter hook egress device "lo" priority 0; policy accept;',
      '    meta protocol ip numgen random mod 10000 < 1 fwd to "lo"',
      '  }',
      '}',
      'table inet faultline_check {',
      '  chain o {',
      '    type filter hook output priority 0; policy accept;',
      '    tcp dport 1 reject with tcp reset',
      '  }',
      '  chain n {',
      '    type nat hook output priority -100; policy accept;',
      '    meta skgid 1 accept',
      '    udp dport 1 redirect to :2',
      '  }',
      '}',
      '',
    ].join('\n');
    const r = await run('unshare', ['--net', 'nft', '-c', '-f', '-'], { input: script });
    if (r.exitCode !== 0) {
      const missing = /not found|ENOENT/i.test(r.stderr);
      return {
        available: false,
        reason: missing
          ? 'nft (nftables) is not installed'
          : `this kernel's nftables lacks what the fault needs (netdev egress hook with fwd, kernel >= 5.16; inet reject; nat redirect): ${r.stderr.trim()}`,
        fix: missing
          ? 'install the nftables package'
          : 'use a kernel >= 5.16 with CONFIG_NETFILTER_EGRESS, CONFIG_NF_TABLES_NETDEV, CONFIG_NFT_FWD_NETDEV, CONFIG_NFT_REJECT_INET, CONFIG_NFT_REDIR',
      };
    }
    const ifb = await run('unshare', ['--net', 'ip', 'link', 'add', 'faultline_chk', 'type', 'ifb']);
    if (ifb.exitCode !== 0) {
      return {
        available: false,
        reason: `this kernel cannot make ifb devices, which silent egress drops go to: ${ifb.stderr.trim()}`,
        fix: 'use a kernel with CONFIG_IFB',
      };
    }
    return { available: true };
  });
}

/** Can this host shape with tc (tbf, htb, ifb)? */
export function tcCapability(): Promise<Capability> {
  return once('tc', async () => {
    const root = notRoot();
    if (root) return root;
    const r = await tryRootQdisc(['tbf', 'rate', '1mbit', 'burst', '32kbit', 'latency', '400ms']);
    if (r.exitCode === 0) return { available: true };
    return {
      available: false,
      reason: `tc cannot add a tbf qdisc: ${r.stderr.trim()}`,
      fix: 'install iproute2 and a kernel with CONFIG_NET_SCH_TBF, CONFIG_NET_SCH_HTB, CONFIG_IFB',
    };
  });
}

/**
 * Does the kernel have sch_netem? Probed in a throwaway namespace (on kernels with modules this
 * autoloads it, which is harmless); `Specified qdisc kind is unknown` means no.
 */
export async function netemCapability(kind: string): Promise<Capability> {
  const probe = await once('netem', async () => {
    const root = notRoot();
    if (root) return root;
    const r = await tryRootQdisc(['netem', 'delay', '1ms']);
    if (r.exitCode === 0) return { available: true };
    return {
      available: false,
      reason: /qdisc kind is unknown/i.test(r.stderr) ? 'unknown' : r.stderr.trim(),
    };
  });
  if (probe.available || probe.fix) return probe;
  return {
    available: false,
    reason:
      probe.reason === 'unknown'
        ? `${kind} needs the kernel's sch_netem (CONFIG_NET_SCH_NETEM); this kernel has tbf and htb but no netem, and cannot load modules`
        : `tc cannot add a netem qdisc: ${probe.reason}`,
    fix: 'use linux/network-rate-limit (tbf/htb) or linux/network-loss (nftables), or @faultline/proxy latency for a single service; or run on a kernel with CONFIG_NET_SCH_NETEM',
  };
}
