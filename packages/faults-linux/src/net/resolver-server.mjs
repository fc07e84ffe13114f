// The small DNS resolver behind linux/dns-error and linux/dns-spoof. Plain JavaScript so plain
// `node` runs it from src or from the published package. It answers matching names itself (an error
// rcode, or the spoofed addresses) and forwards every other query to the upstream server, from ONE
// socket whose port the nft redirect exempts (otherwise its own queries would come back to it).
//
//   node resolver-server.mjs <config JSON>
//   config: { name, bind?, listenPort?, upstream: "ip" | null, upstreamPort, rules: { match: "exact"|"substring",
//             names: [..], error?: "NXDOMAIN"|"SERVFAIL", spoof?: { name: [ip, ...] } } }
// Prints `ready <listenPort> <upstreamSourcePort>` once both sockets are bound.
import dgram from 'node:dgram';
import net from 'node:net';

const cfg = JSON.parse(process.argv[2] ?? '{}');
const RCODE = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3 };

function qname(msg) {
  const labels = [];
  let o = 12;
  while (o < msg.length && msg[o] !== 0) {
    const len = msg[o];
    if (len > 63) return undefined; // a compressed question: not something a stub sends
    labels.push(msg.subarray(o + 1, o + 1 + len).toString('latin1'));
    o += len + 1;
  }
  if (o + 4 >= msg.length) return undefined;
  return { name: labels.join('.').toLowerCase(), end: o + 5, qtype: msg.readUInt16BE(o + 1) };
}

const names = (cfg.rules?.names ?? []).map((n) => n.toLowerCase().replace(/\.$/, ''));
const spoof = Object.fromEntries(
  Object.entries(cfg.rules?.spoof ?? {}).map(([k, v]) => [k.toLowerCase().replace(/\.$/, ''), v]),
);
const spoofNames = Object.keys(spoof);

/** The rule a name falls under: the spoof key, 'error', or undefined (forward). */
function ruleFor(name) {
  const hit = (n) => (cfg.rules?.match === 'substring' ? name.includes(n) : name === n);
  const s = spoofNames.find(hit);
  if (s !== undefined) return { spoof: spoof[s] };
  if (names.some(hit)) return { error: cfg.rules?.error ?? 'NXDOMAIN' };
  return undefined;
}

function answer(query, q, rule) {
  const head = Buffer.from(query.subarray(0, q.end));
  head.writeUInt16BE(0x8180 | (query.readUInt16BE(2) & 0x0100), 2); // QR, RA, copy RD
  head.writeUInt16BE(1, 4);
  head.writeUInt32BE(0, 6);
  head.writeUInt16BE(0, 10);
  if (rule.error) {
    head.writeUInt16BE(head.readUInt16BE(2) | RCODE[rule.error], 2);
    return head;
  }
  const want = q.qtype === 28 ? 6 : q.qtype === 1 ? 4 : 0;
  const ips = rule.spoof.filter((ip) => net.isIP(ip) === want);
  const rrs = ips.map((ip) => {
    const rdata = want === 4 ? Buffer.from(ip.split('.').map(Number)) : ipv6Bytes(ip);
    const rr = Buffer.alloc(12);
    rr.writeUInt16BE(0xc00c, 0); // pointer to the question's name
    rr.writeUInt16BE(q.qtype, 2);
    rr.writeUInt16BE(1, 4);
    rr.writeUInt32BE(0, 6); // TTL 0: nothing caches the lie past the fault
    rr.writeUInt16BE(rdata.length, 10);
    return Buffer.concat([rr, rdata]);
  });
  head.writeUInt16BE(rrs.length, 6);
  return Buffer.concat([head, ...rrs]);
}

function ipv6Bytes(ip) {
  const [l, r = ''] = ip.split('::');
  const left = l ? l.split(':') : [];
  const right = ip.includes('::') && r ? r.split(':') : [];
  const groups = ip.includes('::')
    ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
    : left;
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => {
    b.writeUInt16BE(parseInt(g || '0', 16), i * 2);
  });
  return b;
}

const upstream = dgram.createSocket(cfg.upstream?.includes(':') ? 'udp6' : 'udp4');
const pending = new Map(); // our id → { id, reply, timer }
let nextId = 1;
upstream.on('message', (msg) => {
  if (msg.length < 12) return;
  const p = pending.get(msg.readUInt16BE(0));
  if (!p) return;
  pending.delete(msg.readUInt16BE(0));
  clearTimeout(p.timer);
  msg.writeUInt16BE(p.id, 0);
  p.reply(msg);
});

function handle(query, reply) {
  if (query.length < 12) return;
  const q = qname(query);
  const rule = q && ruleFor(q.name);
  if (rule) return reply(answer(query, q, rule));
  if (!cfg.upstream) return reply(answer(query, q ?? { end: query.length }, { error: 'SERVFAIL' }));
  const id = nextId;
  nextId = (nextId % 0xffff) + 1;
  const out = Buffer.from(query);
  out.writeUInt16BE(id, 0);
  pending.set(id, { id: query.readUInt16BE(0), reply, timer: setTimeout(() => pending.delete(id), 5000) });
  upstream.send(out, cfg.upstreamPort ?? 53, cfg.upstream);
}

const udp = dgram.createSocket('udp4');
udp.on('message', (msg, r) => handle(msg, (out) => udp.send(out, r.port, r.address)));
udp.on('error', () => {});
upstream.on('error', () => {});

const tcp = net.createServer((sock) => {
  let buf = Buffer.alloc(0);
  sock.on('error', () => {});
  sock.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
      const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
      buf = buf.subarray(2 + msg.length);
      handle(Buffer.from(msg), (out) => {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(out.length);
        if (!sock.destroyed) sock.write(Buffer.concat([len, out]));
      });
    }
  });
});

// the parent reads one line then goes away: later writes must not kill us
process.stdout.on('error', () => {});
upstream.bind(0, () => {
  udp.bind(cfg.listenPort ?? 0, cfg.bind ?? '127.0.0.1', () => {
    const port = udp.address().port;
    tcp.listen(port, cfg.bind ?? '127.0.0.1', () =>
      process.stdout.write(`ready ${port} ${upstream.address().port}\n`),
    );
  });
});
process.on('SIGTERM', () => process.exit(0));
