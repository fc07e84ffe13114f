// The netem qdisc lines of each netem fault, through its real inject with a fake executor: this kernel
// has no sch_netem, so what tc would be asked to do is checked here, and the filter tree around it is
// checked for real in netem.test.ts (the same tree with a tbf).
import { parseTunables } from '@faultline/core';
import { describe, expect, it, vi } from 'vitest';
import type { RunOptions } from '../exec.js';

const batches: string[] = [];
vi.mock('../exec.js', () => ({
  quoteArg: (a: string) => a,
  run: async (file: string, args: readonly string[], opts: RunOptions = {}) => {
    const argv = [file, ...args].join(' ');
    const ok = (stdout = '') => ({ exitCode: 0, stdout, stderr: '', command: argv });
    if (argv === 'ip -j -d link show') return ok(JSON.stringify([{ ifname: 'lo' }, { ifname: 'eth0' }]));
    if (argv === 'tc -j qdisc show')
      return ok(JSON.stringify([{ kind: 'noqueue', handle: '0:', dev: 'eth0', root: true }]));
    if (argv === 'tc -batch -') batches.push(opts.input ?? '');
    return ok();
  },
}));

const { networkLatency } = await import('../network-latency.js');
const { networkJitter } = await import('../network-jitter.js');
const { networkCorruption } = await import('../network-corruption.js');
const { networkDuplication } = await import('../network-duplication.js');
const { faultCtx } = await import('../testing/netns.js');

describe('netem faults ask tc for (fake executor)', () => {
  it.each([
    [
      networkLatency.kind,
      networkLatency,
      { latency: '100ms', jitter: '20ms', correlation: 25 },
      'netem delay 100ms 20ms 25%',
    ],
    [
      networkJitter.kind,
      networkJitter,
      { latency: '50ms', jitter: '10ms' },
      'netem delay 50ms 10ms 0% distribution normal',
    ],
    [networkCorruption.kind, networkCorruption, { percent: 5 }, 'netem corrupt 5%'],
    [networkDuplication.kind, networkDuplication, { percent: '2.5%' }, 'netem duplicate 2.5%'],
  ] as const)('%s', async (_kind, fault, extra, netem) => {
    batches.length = 0;
    const t = parseTunables(fault as never, {
      ...extra,
      interfaces: ['eth0'],
      destinationIps: ['10.0.0.7'],
      destinationPorts: [443],
      direction: 'both',
    });
    const receipt = await fault.inject((await faultCtx(t, 'argv')) as never);
    const h = receipt.handle;
    const ifb = receipt.ifbs.eth0!;
    const lines = batches.join('').split('\n');
    // under the fault's class, on the interface (egress) and on its ifb (ingress)
    expect(lines).toContain(`qdisc add dev eth0 parent ${h}1 ${netem}`);
    expect(lines).toContain(`qdisc add dev ${ifb} parent ${h}1 ${netem}`);
    expect(lines).toContain(
      `filter add dev eth0 parent ${h} protocol ip prio 14 u32 match ip dst 10.0.0.7 match ip protocol 6 0xff match ip dport 443 0xffff flowid ${h}1`,
    );
    expect(lines).toContain(
      `filter add dev ${ifb} parent ${h} protocol ip prio 14 u32 match ip src 10.0.0.7 match ip protocol 6 0xff match ip sport 443 0xffff flowid ${h}1`,
    );
    expect(lines).toContain(
      `filter add dev eth0 parent ffff: protocol all prio 1 u32 match u32 0 0 action mirred egress redirect dev ${ifb} cookie ${receipt.cookie}`,
    );
  });
});
