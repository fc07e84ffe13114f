// DNS test helpers: a stand-in upstream server in the peer namespace and a `dig` wrapper. Tests only.
import { resolverScript } from '../net/resolver.js';
import { type NetnsPair, waitForLine } from './netns.js';

/** The addresses big.test resolves to upstream: more than a 512-byte UDP answer holds. */
export const BIG = Array.from({ length: 60 }, (_, i) => `10.9.8.${i + 1}`);

/**
 * A stand-in upstream DNS server on the peer (port 53): example.test → 10.9.9.1, other.test →
 * 10.9.9.2, big.test → the 60 addresses of {@link BIG} (truncated over UDP, whole over TCP).
 */
export async function startUpstream(pair: NetnsPair, bind: string[] = [pair.ipB]): Promise<void> {
  const cfg = {
    name: 'flb-upstream',
    bind,
    listenPort: 53,
    rules: {
      match: 'exact',
      spoof: { 'example.test': ['10.9.9.1'], 'other.test': ['10.9.9.2'], 'big.test': BIG },
    },
  };
  await waitForLine(pair.spawn(pair.b, process.execPath, [resolverScript(), JSON.stringify(cfg)]), /ready/);
}

/**
 * `dig` from namespace a, through whatever DNS path a has (`server` undefined: resolv.conf's);
 * returns the A records joined by commas, or the status.
 */
export async function dig(
  pair: NetnsPair,
  name: string,
  o: { server?: string | null; tcp?: boolean; noedns?: boolean; type?: 'A' | 'AAAA' } = {},
): Promise<string> {
  const server = o.server === undefined ? pair.ipB : o.server;
  const r = await pair.exec(pair.a, 'dig', [
    ...(server ? [`@${server}`] : []),
    name,
    o.type ?? 'A',
    '+tries=1',
    '+time=3',
    ...(o.tcp ? ['+tcp'] : []),
    ...(o.noedns ? ['+noedns'] : []),
  ]);
  const status = r.stdout.match(/status: (\w+)/)?.[1] ?? 'NO_ANSWER';
  const answers = [...r.stdout.matchAll(/^\S+\s+\d+\s+IN\s+(?:A|AAAA)\s+(\S+)$/gm)].map((m) => m[1]);
  return status === 'NOERROR' ? answers.join(',') : status;
}
