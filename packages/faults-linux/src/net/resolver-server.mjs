// The small DNS resolver behind linux/dns-error and linux/dns-spoof. Plain JavaScript so plain
// `node` runs it from src or from the published package. It answers matching names itself (an error
// rcode, or the spoofed addresses) and forwards every other query to the upstream servers — in
// order, the next one after a short wait or a SERVFAIL/REFUSED, UDP over UDP and TCP over TCP (a
// truncated UDP answer goes back as it came, so the client retries over TCP and gets the records).
//
//   node resolver-server.mjs <config JSON>
//   config: { name, bind?: [addresses] (default 127.0.0.1 and ::1), listenPort?,
//             upstreams: [{ host, port }], gid?, uid?,
//             rules: { match: "exact"|"substring", names: [..], error?: "NXDOMAIN"|"SERVFAIL",
//                      spoof?: { name: [ip, ...] } } }
// Prints `ready <listenPort>` once every socket is bound.
//
// `gid`/`uid` are taken before any socket exists: the kernel stamps each socket with its creator's
// ids, and the fault's nft redirect lets this process's queries (its gid) through untouched —
// otherwise they would come back to it, or to another DNS fault's resolver, in a loop.
import dgram from 'node:dgram';
import net from 'node:net';

const cfg = JSON.parse(process.argv[2] ?? '{}');
if (cfg.gid !== undefined) {
  process.setgroups([]);
  process.setgid(cfg.gid);
}
if (cfg.uid !== undefined) process.setuid(cfg.uid);

const RCODE = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3 };
/** How long an upstream has before the next one is asked too, and before the client gets SERVFAIL. */
const STAGGER_MS = 400;
const GIVE_UP_MS = 4000;
const upstreams = cfg.upstreams ?? [];

/** The question: name, where it ends, its type; and the EDNS payload size the client accepts over UDP. */
function question(msg) {
  const labels = [];
  let o = 12;
  while (o < msg.length && msg[o] !== 0) {
    const len = msg[o];
    if (len > 63) return undefined; // a compressed question: not something a stub sends
    labels.push(msg.subarray(o + 1, o + 1 + len).toString('latin1'));
    o += len + 1;
  }
  if (o + 4 >= msg.length) return undefined;
  const end = o + 5;
  let udpSize = 512;
  // an OPT record (type 41) right after the question: its class is the payload size
  if (msg.readUInt16BE(6) === 0 && msg.readUInt16BE(8) === 0 && msg.readUInt16BE(10) > 0) {
    if (msg[end] === 0 && end + 5 <= msg.length && msg.readUInt16BE(end + 1) === 41)
      udpSize = Math.max(512, msg.readUInt16BE(end + 3));
  }
  return { name: labels.join('.').toLowerCase(), end, qtype: msg.readUInt16BE(o + 1), udpSize };
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

function answer(query, q, rule, udpLimit) {
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
  const full = Buffer.concat([head, ...rrs]);
  if (udpLimit === undefined || full.length <= udpLimit) return full;
  // too big for the client's UDP size: the question alone with TC set, so it asks again over TCP
  head.writeUInt16BE(head.readUInt16BE(2) | 0x0200, 2);
  head.writeUInt16BE(0, 6);
  return head;
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

const rcodeOf = (msg) => msg.readUInt16BE(2) & 0x000f;
/** SERVFAIL or REFUSED: this upstream cannot answer; another may. */
const unusable = (msg) => rcodeOf(msg) === 2 || rcodeOf(msg) === 5;

// one UDP socket per family towards the upstreams, created now (after the gid is taken)
const upstreamSockets = {};
const pending = new Map(); // our id → { onAnswer }
let nextId = 1;
for (const family of ['udp4', 'udp6']) {
  const s = dgram.createSocket(family);
  s.on('error', () => {});
  s.on('message', (msg) => {
    if (msg.length < 12) return;
    pending.get(msg.readUInt16BE(0))?.onAnswer(msg);
  });
  upstreamSockets[family] = s;
}
const socketFor = (host) => upstreamSockets[net.isIP(host) === 6 ? 'udp6' : 'udp4'];

/** Forwards a UDP query: upstreams one after the other, STAGGER_MS apart; the first usable answer wins. */
function forwardUdp(query, q, reply) {
  const id = nextId;
  nextId = (nextId % 0xffff) + 1;
  const out = Buffer.from(query);
  out.writeUInt16BE(id, 0);
  let tried = 0;
  let last;
  const timers = [];
  const finish = (msg) => {
    pending.delete(id);
    for (const t of timers) clearTimeout(t);
    msg.writeUInt16BE(query.readUInt16BE(0), 0);
    reply(msg);
  };
  const next = () => {
    if (tried >= upstreams.length) return;
    const u = upstreams[tried++];
    socketFor(u.host).send(out, u.port, u.host);
    timers.push(setTimeout(next, STAGGER_MS));
  };
  pending.set(id, {
    onAnswer(msg) {
      if (unusable(msg) && tried < upstreams.length) {
        last = msg;
        return next();
      }
      finish(msg);
    },
  });
  timers.push(setTimeout(() => finish(last ?? answer(query, q, { error: 'SERVFAIL' })), GIVE_UP_MS));
  next();
}

/** Forwards a TCP query over TCP: each upstream in turn until one answers usably. */
function forwardTcp(query, q, reply) {
  let i = 0;
  let last;
  const attempt = () => {
    if (i >= upstreams.length) return reply(last ?? answer(query, q, { error: 'SERVFAIL' }));
    const u = upstreams[i++];
    const s = net.connect({ host: u.host, port: u.port });
    let buf = Buffer.alloc(0);
    let done = false;
    s.setTimeout(GIVE_UP_MS / 2, () => s.destroy());
    s.on('error', () => {});
    s.on('connect', () => s.write(framed(query)));
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length < 2 || buf.length < 2 + buf.readUInt16BE(0)) return;
      done = true;
      s.destroy();
      const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
      if (unusable(msg) && i < upstreams.length) {
        last = Buffer.from(msg);
        return attempt();
      }
      reply(Buffer.from(msg));
    });
    s.on('close', () => {
      if (!done) attempt();
    });
  };
  attempt();
}

const framed = (msg) => {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(msg.length);
  return Buffer.concat([len, msg]);
};

function handle(query, reply, transport) {
  if (query.length < 12) return;
  const q = question(query);
  const rule = q && ruleFor(q.name);
  const udpLimit = transport === 'udp' ? (q?.udpSize ?? 512) : undefined;
  if (rule) return reply(answer(query, q, rule, udpLimit));
  if (upstreams.length === 0) return reply(answer(query, q ?? { end: query.length }, { error: 'SERVFAIL' }));
  (transport === 'udp' ? forwardUdp : forwardTcp)(query, q ?? { end: query.length }, reply);
}

function tcpServer() {
  return net.createServer((sock) => {
    let buf = Buffer.alloc(0);
    sock.on('error', () => {});
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        handle(
          Buffer.from(msg),
          (out) => {
            if (!sock.destroyed) sock.write(framed(out));
          },
          'tcp',
        );
      }
    });
  });
}

const listening = [];

/** Binds UDP and TCP on one address and port; resolves false when the address is not there (no IPv6). */
function listenOn(address, port) {
  return new Promise((resolve, reject) => {
    const udp = dgram.createSocket(net.isIP(address) === 6 ? 'udp6' : 'udp4');
    udp.on('message', (msg, r) => handle(msg, (out) => udp.send(out, r.port, r.address), 'udp'));
    udp.once('error', (e) =>
      e.code === 'EADDRNOTAVAIL' || e.code === 'EAFNOSUPPORT' ? resolve(false) : reject(e),
    );
    udp.bind(port, address, () => {
      udp.removeAllListeners('error');
      udp.on('error', () => {});
      listening.push(() => udp.close());
      const tcp = tcpServer();
      tcp.once('error', reject);
      tcp.listen(udp.address().port, address, () => {
        listening.push(() => tcp.close());
        resolve(udp.address().port);
      });
    });
  });
}

// the parent reads one line then goes away: later writes must not kill us
process.stdout.on('error', () => {});
process.on('SIGTERM', () => process.exit(0));

const bind = cfg.bind ?? ['127.0.0.1', '::1'];
for (let attempt = 0; ; attempt++) {
  try {
    // the first address picks the port (unless one is given); the others take the same one
    let port = cfg.listenPort ?? 0;
    for (const address of bind) {
      const got = await listenOn(address, port);
      if (got === false && address === bind[0]) throw new Error(`cannot bind ${address}`);
      if (got !== false) port = got;
    }
    process.stdout.write(`ready ${port}\n`);
    break;
  } catch (e) {
    // the port was free on the first address but not on another: try another port
    for (const close of listening.splice(0)) close();
    if (attempt >= 5 || cfg.listenPort !== undefined) {
      process.stderr.write(`${e.message}\n`);
      process.exit(1);
    }
  }
}
