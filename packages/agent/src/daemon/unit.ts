import { readFileSync } from 'node:fs';
import { DEFAULT_PORT } from '../server/serve.js';
import type { AgentConfig } from './config.js';

/** The paths and flags the shipped unit file names, which `faultline-agent unit` replaces. */
const SHIPPED = {
  exec: '/usr/local/bin/faultline-agent',
  listen: `127.0.0.1:${DEFAULT_PORT}`,
  tokenFile: '/etc/faultline/agent.token',
  stateDir: '/var/lib/faultline-agent',
};

/** The unit file as shipped (`dist/faultline-agent.service` beside the code). */
export function shippedUnit(): string {
  return readFileSync(new URL('./faultline-agent.service', import.meta.url), 'utf8');
}

/**
 * The unit with this installation's command and the given flags: `exec` is the command line that
 * starts faultline-agent (default: the path of the running one).
 */
export function systemdUnit(cfg: AgentConfig, argv: string[], exec = cfg.exec ?? process.argv[1]!): string {
  const has = (flag: string) => argv.includes(flag) || argv.some((a) => a.startsWith(`${flag}=`));
  const host = cfg.hostname.includes(':') ? `[${cfg.hostname}]` : cfg.hostname;
  let text = shippedUnit().replaceAll(SHIPPED.exec, exec);
  if (has('--listen')) text = text.replace(SHIPPED.listen, `${host}:${cfg.port}`);
  if (has('--token-file') && cfg.tokenFile) text = text.replace(SHIPPED.tokenFile, cfg.tokenFile);
  if (has('--state-dir')) text = text.replaceAll(SHIPPED.stateDir, cfg.stateDir);
  const serveFlags = flagsOf(argv, SERVE_FLAGS);
  if (serveFlags.length > 0) text = text.replace(/^(ExecStart=.*)$/m, `$1 ${serveFlags.join(' ')}`);
  // recovery must open the same journal and load the same packs as the agent
  const recoverFlags = flagsOf(argv, RECOVER_FLAGS);
  if (recoverFlags.length > 0) text = text.replace(/^(ExecStartPre=.*)$/m, `$1 ${recoverFlags.join(' ')}`);
  return text;
}

/** Flags that go into ExecStart as given (those with their own place in the unit are replaced above). */
const SERVE_FLAGS = [
  '--lease',
  '--heartbeat',
  '--journal',
  '--pack',
  '--no-default-packs',
  '--max-active-runs',
  '--max-body',
  '--tls-key',
  '--tls-cert',
  '--id',
];
const RECOVER_FLAGS = ['--journal', '--pack', '--no-default-packs'];

/** The occurrences of the given flags in argv, each with its value (`--pack x` or `--pack=x`). */
function flagsOf(argv: string[], flags: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const name = arg.split('=')[0]!;
    if (!flags.includes(name)) continue;
    out.push(arg);
    if (name !== '--no-default-packs' && !arg.includes('=') && i + 1 < argv.length) out.push(argv[++i]!);
  }
  return out;
}
