import { isIPv6 } from 'node:net';

/** A `host:port` split into its parts (IPv6 hosts written `[::1]:80`). */
export interface HostPort {
  host: string;
  port: number;
}

/** Parses `host:port`, `[v6]:port` or `:port` (host empty). Returns undefined when it is none of these. */
export function parseHostPort(s: string): HostPort | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(s.trim());
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  return { host: m[1] ?? m[2] ?? '', port };
}

/** Formats a host and port the way Go's net.JoinHostPort does (brackets around IPv6). */
export function joinHostPort(host: string, port: number): string {
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * The host a listener binds. `localhost` and an empty host become 127.0.0.1: Toxiproxy (Go) resolves
 * `localhost` to IPv4 first and reports `127.0.0.1:port`, and an empty host stays on loopback here,
 * where Go would listen on every interface (a test proxy has no business on the host's network).
 */
export function listenHost(host: string): string {
  return host === '' || host === 'localhost' ? '127.0.0.1' : host;
}
