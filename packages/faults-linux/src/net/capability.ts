import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { Capability } from '@faultline/core';
import { run } from '../exec.js';

function read(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

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
 * that forwards to a device (`fwd`, the silent drop), an inet reject, a nat redirect — and, with
 * `sink`, make an ifb device (where silent drops go)? Checked in throwaway namespaces: `nft -c`
 * validates and commits nothing.
 */
export function nftCapability(o: { sink?: boolean } = {}): Promise<Capability> {
  return once(o.sink ? 'nft+ifb' : 'nft', async () => {
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
    if (!o.sink) return { available: true };
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
 * Why the kernel answered "qdisc kind is unknown" for netem: it cannot load modules at all (no
 * /proc/modules: a kernel built without CONFIG_MODULES, as small VM and CI kernels are), or the
 * module is not installed (distributions ship it in an extra package), or neither is visible.
 */
function whyNoNetem(): { why: string; fix: string } {
  const release = read('/proc/sys/kernel/osrelease');
  const alternatives =
    'meanwhile linux/network-rate-limit (tbf/htb) and linux/network-loss (nftables) work here, and @faultline/proxy adds latency to a single service';
  if (!existsSync('/proc/modules')) {
    return {
      why: 'this kernel has no netem built in and cannot load modules (no /proc/modules)',
      fix: `run on a kernel built with CONFIG_NET_SCH_NETEM; ${alternatives}`,
    };
  }
  const dir = `/lib/modules/${release}/kernel/net/sched`;
  const installed = (() => {
    try {
      return readdirSync(dir).some((f) => f.startsWith('sch_netem.ko'));
    } catch {
      return false;
    }
  })();
  return {
    why: installed
      ? 'the sch_netem module is installed but did not load (modprobe refused it: module loading may be locked down)'
      : `the sch_netem module is not installed (not in ${dir})`,
    fix: `install the kernel's extra modules — RHEL, CentOS, Rocky, Alma, Fedora: kernel-modules-extra; Ubuntu cloud kernels: linux-modules-extra-${release} — then \`modprobe sch_netem\`; ${alternatives}`,
  };
}

/**
 * Does the kernel have sch_netem? Probed in a throwaway namespace (on kernels with modules this
 * autoloads it, which is harmless); `Specified qdisc kind is unknown` means no, and then the answer
 * says why and what to install (see docs/host.md).
 */
export async function netemCapability(kind: string): Promise<Capability> {
  const probe = await once('netem', async () => {
    const root = notRoot();
    if (root) return root;
    const r = await tryRootQdisc(['netem', 'delay', '1ms']);
    if (r.exitCode === 0) return { available: true };
    if (!/qdisc kind is unknown/i.test(r.stderr)) return { available: false, reason: r.stderr.trim() };
    const { why, fix } = whyNoNetem();
    return { available: false, reason: why, fix };
  });
  if (probe.available) return probe;
  if (!probe.fix) {
    return {
      available: false,
      reason: `tc cannot add a netem qdisc: ${probe.reason}`,
      fix: 'check that iproute2 is installed and that tc works as root',
    };
  }
  // a root check has its own answer; the netem one names the fault that asked
  if (probe.reason?.startsWith('network faults')) return probe;
  return {
    available: false,
    reason: `${kind} needs the kernel's sch_netem (CONFIG_NET_SCH_NETEM): ${probe.reason}`,
    fix: probe.fix,
  };
}
