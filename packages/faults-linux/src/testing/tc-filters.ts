// Reads tc filters the way the kernel reports them, for tests that check a filter tree. `tc -j`
// prints one `match` key per u32 node under a repeated JSON key (the last wins), so the keys come
// from the text form.
import type { NetnsPair } from './netns.js';

/** One u32 node as `tc filter show` prints it. */
export interface U32Node {
  pref: number;
  protocol: string;
  /** The class it sends to (`f123:1`), or the qdisc itself (`f123:`, htb's direct flow). */
  flowid?: string;
  /** `value/mask at offset` as tc prints them. */
  keys: string[];
  cookie?: string;
}

/** The u32 nodes under `parent` (`f123:` or `ingress`) on one device of a namespace. */
export async function readU32(pair: NetnsPair, ns: string, dev: string, parent: string): Promise<U32Node[]> {
  const where = parent === 'ingress' ? ['ingress'] : ['parent', parent];
  const r = await pair.exec(ns, 'tc', ['filter', 'show', 'dev', dev, ...where]);
  const nodes: U32Node[] = [];
  for (const line of r.stdout.split('\n')) {
    const head = line.match(/^filter .*protocol (\S+) pref (\d+) u32 .*fh [0-9a-f]+::[0-9a-f]+/);
    if (head) {
      const flowid = line.match(/\*?flowid ([0-9a-f]+:[0-9a-f]*)/)?.[1];
      nodes.push({ pref: Number(head[2]), protocol: head[1]!, keys: [], ...(flowid ? { flowid } : {}) });
      continue;
    }
    const node = nodes.at(-1);
    const key = line.match(/^\s+match (\S+ at \d+)/)?.[1];
    if (node && key) node.keys.push(key);
    const cookie = line.match(/^\s+cookie ([0-9a-f]+)/)?.[1];
    if (node && cookie) node.cookie = cookie;
  }
  return nodes;
}
