import { readFileSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { defaultStateDir, parseDuration, parseSize } from '@faultline/core';
import { DEFAULT_PORT } from '../server/serve.js';

/** The packs an agent registers unless told `--no-default-packs`. */
export const DEFAULT_PACKS = ['@faultline/faults-linux', '@faultline/probes'];

/** Exit status for a configuration error: the supervisor and systemd do not restart on it. */
export const EX_CONFIG = 78;

/** A configuration the daemon refuses to start with; the message says what to fix. */
export class ConfigError extends Error {}

/** What `faultline-agent` runs with. */
export interface AgentConfig {
  command: 'serve' | 'recover' | 'unit' | 'help' | 'version';
  hostname: string;
  port: number;
  /** Where the token came from (`--token-file` or the environment); read with {@link readToken}. */
  tokenFile: string | undefined;
  stateDir: string;
  heartbeat: string;
  lease: string;
  journal: 'file' | 'sqlite';
  packs: string[];
  supervise: boolean;
  maxActiveRuns: number;
  maxBodyBytes: number;
  tls: { key: string; cert: string } | undefined;
  id: string | undefined;
  /** `unit`: the command line that starts faultline-agent (default: this one's). */
  exec: string | undefined;
}

/** The usage text. */
export const USAGE = `faultline-agent — the chaos infrastructure of faultline as a daemon

  faultline-agent [--listen HOST:PORT] [--token-file FILE] [--state-dir DIR] [--lease 10s]
                  [--heartbeat 2s] [--journal file|sqlite] [--pack NAME]... [--no-default-packs]
                  [--max-active-runs 4] [--max-body 1MiB] [--tls-key FILE --tls-cert FILE]
                  [--id NAME] [--supervise]
  faultline-agent recover [--state-dir DIR] [--journal file|sqlite] [--pack NAME]...
  faultline-agent unit [--exec "COMMAND"] [serve options]   print the systemd unit
  faultline-agent --help | --version

  --listen      where to listen (default 127.0.0.1:${DEFAULT_PORT}: loopback unless told otherwise)
  --token-file  the bearer token (or FAULTLINE_AGENT_TOKEN); every route but /healthz needs it
  --state-dir   journal and run logs (default $FAULTLINE_STATE_DIR, else /var/lib/faultline as root)
  --lease       the longest lease a run may hold: no renewal for that long aborts it (FL_LINK_LOST)
  --supervise   run the agent as a child: recover before the first start and after every crash,
                then restart it with backoff
  recover       revert what a dead agent or an older boot left in the journal, then exit
`;

/** Parses the command line (and the environment, for the token and the state dir). */
export function parseConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): AgentConfig {
  const first = argv[0];
  const command = first === 'recover' || first === 'unit' || first === 'serve' ? first : 'serve';
  const rest = command === 'serve' && first !== 'serve' ? argv : argv.slice(1);
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(rest);
  } catch (e) {
    throw new ConfigError(`${(e as Error).message}\n\n${USAGE}`);
  }
  const { values: o } = parsed;
  if (o.help) return { ...defaults(env), command: 'help' };
  if (o.version) return { ...defaults(env), command: 'version' };
  const [hostname, port] = parseListen(o.listen ?? `127.0.0.1:${DEFAULT_PORT}`);
  if (o.journal !== undefined && o.journal !== 'file' && o.journal !== 'sqlite')
    throw new ConfigError(`--journal is file or sqlite, not '${o.journal}'`);
  if ((o['tls-key'] === undefined) !== (o['tls-cert'] === undefined))
    throw new ConfigError('--tls-key and --tls-cert go together');
  const maxActiveRuns = Number(o['max-active-runs'] ?? 4);
  if (!Number.isInteger(maxActiveRuns) || maxActiveRuns < 1)
    throw new ConfigError('--max-active-runs is a whole number >= 1');
  return {
    command,
    hostname,
    port,
    tokenFile: o['token-file'],
    stateDir: o['state-dir'] ?? defaultStateDir(env),
    heartbeat: checked('--heartbeat', o.heartbeat ?? '2s', parseDuration),
    lease: checked('--lease', o.lease ?? '10s', parseDuration),
    journal: (o.journal as 'file' | 'sqlite' | undefined) ?? 'file',
    packs: [...(o['no-default-packs'] ? [] : DEFAULT_PACKS), ...(o.pack ?? [])],
    supervise: o.supervise ?? false,
    maxActiveRuns,
    maxBodyBytes: parseSize(checked('--max-body', o['max-body'] ?? '1MiB', parseSize)),
    tls: o['tls-key'] && o['tls-cert'] ? { key: o['tls-key'], cert: o['tls-cert'] } : undefined,
    id: o.id,
    exec: o.exec,
  };
}

function parse(args: string[]) {
  return parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      listen: { type: 'string' },
      'token-file': { type: 'string' },
      'state-dir': { type: 'string' },
      lease: { type: 'string' },
      heartbeat: { type: 'string' },
      journal: { type: 'string' },
      pack: { type: 'string', multiple: true },
      'no-default-packs': { type: 'boolean' },
      supervise: { type: 'boolean' },
      'max-active-runs': { type: 'string' },
      'max-body': { type: 'string' },
      'tls-key': { type: 'string' },
      'tls-cert': { type: 'string' },
      id: { type: 'string' },
      exec: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean' },
    },
  });
}

function defaults(env: NodeJS.ProcessEnv): AgentConfig {
  return {
    command: 'serve',
    hostname: '127.0.0.1',
    port: DEFAULT_PORT,
    tokenFile: undefined,
    stateDir: defaultStateDir(env),
    heartbeat: '2s',
    lease: '10s',
    journal: 'file',
    packs: DEFAULT_PACKS,
    supervise: false,
    maxActiveRuns: 4,
    maxBodyBytes: 1 << 20,
    tls: undefined,
    id: undefined,
    exec: undefined,
  };
}

function checked<T>(flag: string, value: string, parser: (s: string) => T): string {
  try {
    parser(value);
    return value;
  } catch (e) {
    throw new ConfigError(`${flag}: ${(e as Error).message}`);
  }
}

/** `HOST:PORT`, `[v6]:PORT`, or `:PORT` (loopback). */
export function parseListen(s: string): [string, number] {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(s);
  const port = Number(m?.[3]);
  if (!m || port > 65535)
    throw new ConfigError(`--listen is HOST:PORT (e.g. 127.0.0.1:${DEFAULT_PORT}), not '${s}'`);
  return [m[1] ?? (m[2] || '127.0.0.1'), port];
}

/**
 * The token: from the file (which must not be readable by others), else FAULTLINE_AGENT_TOKEN.
 * At least 16 characters.
 */
export function readToken(cfg: AgentConfig, env: NodeJS.ProcessEnv = process.env): string {
  let token: string | undefined;
  if (cfg.tokenFile) {
    try {
      if ((statSync(cfg.tokenFile).mode & 0o077) !== 0)
        process.stderr.write(
          `faultline-agent: warning: ${cfg.tokenFile} is readable by other users; chmod 600 it\n`,
        );
      token = readFileSync(cfg.tokenFile, 'utf8').trim();
    } catch (e) {
      throw new ConfigError(`cannot read --token-file ${cfg.tokenFile}: ${(e as Error).message}`);
    }
  } else token = env.FAULTLINE_AGENT_TOKEN?.trim();
  if (!token)
    throw new ConfigError(
      'no token: give --token-file FILE or set FAULTLINE_AGENT_TOKEN (e.g. `openssl rand -hex 32 > /etc/faultline/agent.token`)',
    );
  if (token.length < 16)
    throw new ConfigError('the token is shorter than 16 characters: use a long random one');
  return token;
}
