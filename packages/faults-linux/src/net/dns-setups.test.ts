// The DNS faults on the resolver set-ups people have, each built in a namespace pair: several DNS
// faults at once, a local forwarding stub on 127.0.0.53 (systemd-resolved's place), an IPv6
// nameserver, several nameservers with a dead first one, and answers too big for UDP.
import { parseTunables } from '@faultline/core';
import { describe, expect, it } from 'vitest';
import { dnsError } from '../dns-error.js';
import { dnsSpoof } from '../dns-spoof.js';
import { BIG, dig, startUpstream } from '../testing/dns.js';
import { faultCtx, type NetnsPair, waitForLine, withNetnsPair } from '../testing/netns.js';
import { resolverScript } from './resolver.js';

/** Injects, runs `body`, reverts (in reverse order), whatever happens. */
async function withFaults(
  faults: { fault: typeof dnsSpoof | typeof dnsError; tunables: object; step: string }[],
  body: () => Promise<void>,
): Promise<void> {
  const done: (() => Promise<void>)[] = [];
  try {
    for (const f of faults) {
      const ctx = await faultCtx(parseTunables(f.fault as never, f.tunables), f.step);
      const receipt = await f.fault.inject(ctx as never);
      done.unshift(() => f.fault.revert(receipt as never, ctx as never));
    }
    await body();
  } finally {
    for (const revert of done) await revert();
  }
}

/** A forwarding stub on 127.0.0.53:53 in namespace a, as systemd-resolved is, with resolv.conf pointing at it. */
async function startStub(pair: NetnsPair, uid: number | undefined): Promise<void> {
  // a stub runs as its own user with the right to bind port 53; here the namespace grants that right
  await pair.exec(pair.a, 'sysctl', ['-q', '-w', 'net.ipv4.ip_unprivileged_port_start=53']);
  const cfg = {
    name: 'flb-stub',
    bind: ['127.0.0.53'],
    listenPort: 53,
    upstreams: [{ host: pair.ipB, port: 53 }],
    rules: { match: 'exact', names: [] },
    ...(uid === undefined ? {} : { uid }),
  };
  await waitForLine(pair.spawn(pair.a, process.execPath, [resolverScript(), JSON.stringify(cfg)]), /ready/);
  await pair.writeEtc(pair.a, 'resolv.conf', 'nameserver 127.0.0.53\noptions edns0\n');
}

describe.concurrent('DNS faults touch only the names they target', () => {
  it('two DNS faults in one namespace: each answers its names, the rest resolves (no loop), in any revert order', {
    timeout: 60_000,
  }, async () => {
    await withNetnsPair('fld', async (pair) => {
      await startUpstream(pair);
      await pair.writeEtc(pair.a, 'resolv.conf', `nameserver ${pair.ipB}\n`);
      await withFaults(
        [
          {
            fault: dnsError,
            tunables: { namespace: pair.a, targetHostnames: ['example.test'] },
            step: 'err',
          },
          {
            fault: dnsSpoof,
            tunables: { namespace: pair.a, spoofMap: { 'spoofed.test': '10.7.7.7' } },
            step: 'spoof',
          },
        ],
        async () => {
          expect(await dig(pair, 'example.test')).toBe('NXDOMAIN');
          expect(await dig(pair, 'spoofed.test')).toBe('10.7.7.7');
          expect(await dig(pair, 'other.test'), 'untargeted: through both resolvers to the upstream').toBe(
            '10.9.9.2',
          );
          expect(await dig(pair, 'other.test', { tcp: true })).toBe('10.9.9.2');
        },
      );
      expect(await dig(pair, 'example.test')).toBe('10.9.9.1');
    });
  });

  for (const [who, uid] of [
    ['its own user', 998],
    ['root', undefined],
  ] as const) {
    it(`a forwarding stub on 127.0.0.53 run by ${who}: targeted names change, others resolve through the stub`, {
      timeout: 60_000,
    }, async () => {
      await withNetnsPair('fld', async (pair) => {
        await startUpstream(pair);
        await startStub(pair, uid);
        expect(await dig(pair, 'other.test', { server: null }), 'the stub works').toBe('10.9.9.2');
        await withFaults(
          [
            {
              fault: dnsSpoof,
              tunables: { namespace: pair.a, spoofMap: { 'example.test': '10.7.7.7' } },
              step: 'stub',
            },
          ],
          async () => {
            expect(await dig(pair, 'example.test', { server: null })).toBe('10.7.7.7');
            expect(await dig(pair, 'other.test', { server: null }), 'no loop through the stub').toBe(
              '10.9.9.2',
            );
            expect(await dig(pair, 'other.test', { server: null, tcp: true })).toBe('10.9.9.2');
          },
        );
        expect(await dig(pair, 'example.test', { server: null })).toBe('10.9.9.1');
      });
    });
  }

  it('an IPv6 nameserver: queries over IPv6 are redirected, and forwarded upstream over IPv6', {
    timeout: 60_000,
  }, async () => {
    await withNetnsPair('fld', async (pair) => {
      const [v6a, v6b] = [`fd7e:${pair.ipA.split('.')[1]}::1`, `fd7e:${pair.ipA.split('.')[1]}::2`];
      await pair.exec(pair.a, 'ip', ['addr', 'add', `${v6a}/64`, 'dev', pair.vethA, 'nodad']);
      await pair.exec(pair.b, 'ip', ['addr', 'add', `${v6b}/64`, 'dev', pair.vethB, 'nodad']);
      await startUpstream(pair, [v6b]);
      await pair.writeEtc(pair.a, 'resolv.conf', `nameserver ${v6b}\n`);
      expect(await dig(pair, 'other.test', { server: null })).toBe('10.9.9.2');
      await withFaults(
        [
          {
            fault: dnsSpoof,
            tunables: { namespace: pair.a, spoofMap: { 'example.test': ['10.7.7.7', 'fd00::7'] } },
            step: 'six',
          },
        ],
        async () => {
          expect(await dig(pair, 'example.test', { server: null })).toBe('10.7.7.7');
          expect(await dig(pair, 'example.test', { server: null, type: 'AAAA' })).toBe('fd00::7');
          expect(await dig(pair, 'example.test', { server: v6b, tcp: true })).toBe('10.7.7.7');
          expect(await dig(pair, 'other.test', { server: null }), 'forwarded over IPv6').toBe('10.9.9.2');
        },
      );
    });
  });

  it('several nameservers: a dead first one does not break untargeted names', {
    timeout: 60_000,
  }, async () => {
    await withNetnsPair('fld', async (pair) => {
      await startUpstream(pair);
      const dead = pair.ipB.replace(/\.2$/, '.99'); // on the link, nobody there
      await pair.writeEtc(pair.a, 'resolv.conf', `nameserver ${dead}\nnameserver ${pair.ipB}\n`);
      await withFaults(
        [
          {
            fault: dnsError,
            tunables: { namespace: pair.a, targetHostnames: ['example.test'] },
            step: 'many',
          },
        ],
        async () => {
          const t0 = Date.now();
          expect(await dig(pair, 'other.test', { server: dead }), 'answered by the second').toBe('10.9.9.2');
          expect(Date.now() - t0, 'the second is asked soon, not after the client gave up').toBeLessThan(
            3000,
          );
          expect(await dig(pair, 'example.test', { server: null })).toBe('NXDOMAIN');
        },
      );
    });
  });

  it('an untargeted answer too big for UDP comes back whole over TCP', { timeout: 60_000 }, async () => {
    await withNetnsPair('fld', async (pair) => {
      await startUpstream(pair);
      await withFaults(
        [
          {
            fault: dnsSpoof,
            tunables: {
              namespace: pair.a,
              upstreamServer: pair.ipB,
              spoofMap: { 'example.test': '10.7.7.7' },
            },
            step: 'big',
          },
        ],
        async () => {
          // +noedns: 512 bytes over UDP; dig sees TC and asks again over TCP, as resolvers do
          expect((await dig(pair, 'big.test', { noedns: true })).split(',')).toHaveLength(BIG.length);
          expect((await dig(pair, 'big.test', { tcp: true })).split(',').sort()).toEqual([...BIG].sort());
        },
      );
    });
  });
});
