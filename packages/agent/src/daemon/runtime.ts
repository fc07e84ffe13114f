import { isAbsolute, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createRuntime,
  type Pack,
  type RecoveryReport,
  type RollbackJournal,
  type Runtime,
} from '@faultline/core';
import { type AgentConfig, ConfigError } from './config.js';

/** Imports each pack by package name (or absolute path): its `pack` export, else its default. */
export async function loadPacks(names: string[]): Promise<Pack[]> {
  const packs: Pack[] = [];
  for (const name of names) {
    let mod: { pack?: Pack; default?: Pack };
    try {
      mod = await import(isAbsolute(name) ? pathToFileURL(name).href : name);
    } catch (e) {
      throw new ConfigError(
        `--pack ${name}: cannot import it (${(e as Error).message}); install it beside the agent`,
      );
    }
    const pack = mod.pack ?? mod.default;
    if (!pack || typeof pack.name !== 'string')
      throw new ConfigError(
        `--pack ${name}: the module exports no pack (a \`pack\` or default export from definePack)`,
      );
    packs.push(pack);
  }
  return packs;
}

/** The journal the config names: the FileJournal default, or SQLite (@faultline/store-sqlite, installed beside). */
async function openJournal(cfg: AgentConfig): Promise<RollbackJournal | undefined> {
  if (cfg.journal === 'file') return undefined;
  let mod: { sqliteJournal(path: string): RollbackJournal };
  try {
    mod = (await import('@faultline/store-sqlite')) as typeof mod;
  } catch (e) {
    throw new ConfigError(
      `--journal sqlite needs @faultline/store-sqlite installed beside the agent (${(e as Error).message})`,
    );
  }
  return mod.sqliteJournal(join(cfg.stateDir, 'journal.db'));
}

/**
 * The runtime of an agent process. Its journal stays on this host (it must work when the network
 * does not); `recover()` runs first, so an agent never serves while remnants of a crash or an older
 * boot are in effect. Supervised, it runs without a sentinel (the supervisor reverts after a crash)
 * and recovers only its journal (the supervisor's recovery, just before, also scanned for leftovers).
 * FAULTLINE_BOOT_ID replaces the boot id (tests simulate a reboot with it).
 */
export async function agentRuntime(
  cfg: AgentConfig,
  o: { supervised: boolean; recoverOnly?: boolean },
  env: NodeJS.ProcessEnv = process.env,
): Promise<Runtime> {
  const journal = await openJournal(cfg);
  return createRuntime({
    packs: await loadPacks(cfg.packs),
    stateDir: cfg.stateDir,
    ...(journal ? { journal } : {}),
    ...(env.FAULTLINE_BOOT_ID ? { bootId: env.FAULTLINE_BOOT_ID } : {}),
    sentinel: !o.supervised && !o.recoverOnly,
    // supervised, the supervisor's recovery ran just before this start, leftover scan included
    ...(o.supervised && !o.recoverOnly ? { recover: { leftovers: false } } : {}),
    // the daemon owns its signals: it aborts, reverts and closes the server itself
    signals: false,
    ...(o.recoverOnly ? { eventLog: false as const } : {}),
  });
}

/** Opens the agent's journal, reverts what is left (recover()), closes it again. */
export async function recoverOnce(cfg: AgentConfig): Promise<RecoveryReport> {
  const runtime = await agentRuntime(cfg, { supervised: true, recoverOnly: true });
  await runtime.close();
  return runtime.recovery!;
}

/** One line about a recovery, for the daemon's log. */
export function describeRecovery(r: RecoveryReport): string {
  const c = r.counts;
  const head = `recovery: ${r.entries.length} journal entr${r.entries.length === 1 ? 'y' : 'ies'} (reverted ${c.reverted}, gone ${c.gone}, failed ${c.failed}, manual ${c.manual}, owned ${c.owned}, unloadable ${c.unloadable}) in ${r.durationMs} ms`;
  const problems = r.entries
    .filter((e) => e.outcome === 'failed' || e.outcome === 'manual' || e.outcome === 'unloadable')
    .map(
      (e) =>
        `\n  ${e.outcome}: ${e.entry.kind} ${e.entry.id}: ${e.reason}${e.entry.manual ? `\n    run: ${e.entry.manual}` : ''}`,
    );
  return head + problems.join('');
}

/** Whether this process was started by the supervisor (which then owns crash recovery). */
export const SUPERVISED_ENV = 'FAULTLINE_AGENT_SUPERVISED';
