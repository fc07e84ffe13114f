// The sentinel: a small detached process that outlives a host killed with SIGKILL (or OOM-killed,
// or crashed) and reverts, from the journal alone, every entry that host left in effect.
import { appendFileSync } from 'node:fs';
import { errorToJSON } from '../errors.js';
import { type JournalEntry, type RollbackJournal, UNFINISHED_STATES } from '../journal.js';
import { makeLogger } from '../logger.js';
import type { Logger, Pack } from '../model.js';
import { nodePlatform } from '../platform.js';
import { Registry } from '../registry.js';
import { revertContext, revertEntry } from '../revert.js';
import { timeoutSignal } from '../timing.js';
import { decodeCommand, encodeReply, lineSplitter, type SentinelConfig } from './protocol.js';

const config = JSON.parse(process.argv[2] ?? '{}') as SentinelConfig;
const registry = new Registry();
const loading = new Map<string, Promise<boolean>>();
let exiting = false;
/** How long a command the dead host had spawned may take to finish (see settle()). */
const SETTLE_MS = 300;

function record(what: string, data: Record<string, unknown> = {}): void {
  try {
    appendFileSync(
      config.logFile,
      `${JSON.stringify({ at: new Date().toISOString(), sentinel: process.pid, host: config.hostPid, what, ...data })}\n`,
    );
  } catch {
    // the log is a courtesy; the journal is the record that matters
  }
}

/** Tells the host how a pack's import went. Its pipe is gone once the host died: that is fine. */
function reply(type: 'loaded' | 'failed', name: string): void {
  try {
    process.stdout.write(encodeReply({ type, name }));
  } catch {
    // the host is gone; the journal is what matters now
  }
}

function loadPack(name: string): Promise<boolean> {
  let p = loading.get(name);
  if (!p) {
    p = import(name)
      .then((mod: { pack?: Pack; default?: Pack }) => {
        const pack = mod.pack ?? mod.default;
        if (!pack) throw new Error(`module '${name}' exports no pack`);
        if (!registry.hasPack(pack.name)) registry.register(pack);
        // ms since this process started: how long start-up plus the import took (what a run waits for)
        record('pack-loaded', { pack: name, ms: Math.round(performance.now()) });
        return true;
      })
      .catch((e: unknown) => {
        record('pack-load-failed', { pack: name, error: errorToJSON(e).message });
        return false;
      });
    loading.set(name, p);
  }
  return p;
}

async function openJournal(): Promise<RollbackJournal> {
  const mod = (await import(config.journal.module)) as Record<
    string,
    (...a: unknown[]) => Promise<RollbackJournal>
  >;
  const factory = mod[config.journal.factory];
  if (typeof factory !== 'function')
    throw new Error(`${config.journal.module} has no ${config.journal.factory}()`);
  return factory(...config.journal.args);
}

const hostAlive = () => nodePlatform.processStart(config.hostPid) === config.hostStart;

/**
 * Resolves once the host process is gone. A killed process closes its files before it becomes a
 * zombie, so right after the pipe closes the host can still look alive for a moment: checking once
 * (as this did) let the sentinel walk away from a host that was dying. A host that really lives on
 * without its pipe is watched until it ends, then its unfinished entries (if any) are reverted.
 */
async function hostGone(): Promise<void> {
  let noted = false;
  for (let i = 0; hostAlive(); i++) {
    if (i === 200 && !noted) {
      noted = true;
      record('host-alive', { note: 'the pipe closed but the host lives: watching it until it ends' });
    }
    await new Promise((r) => setTimeout(r, i < 200 ? 2 : 100));
  }
}

/**
 * The host is gone: revert its unfinished entries. Steps at once (only one serial step of a run, with
 * its parallel siblings, can be in effect at a time, the runner reverts a parallel group together
 * too), and within a step the newest injection first.
 */
async function revertForDeadHost(): Promise<void> {
  const t0 = performance.now();
  await hostGone();
  const journal = await openJournal();
  try {
    const mine = (await journal.pending()).filter(
      (e) =>
        e.pid === config.hostPid && e.pidStart === config.hostStart && UNFINISHED_STATES.includes(e.state),
    );
    // only packs the host announced on its pipe: never a module because a journal line names it
    await Promise.all([...new Set(mine.map((e) => e.pack))].filter((p) => loading.has(p)).map(loadPack));
    const midInject = mine.filter((e) => e.state === 'injecting' && registry.hasPack(e.pack));
    const byStep = new Map<string, JournalEntry[]>();
    for (const e of mine) {
      const key = `${e.runId}:${e.stepId}`;
      byStep.set(key, [...(byStep.get(key) ?? []), e]);
    }
    const log = makeLogger((level, message) => record('log', { level, message }));
    const results = await Promise.all(
      [...byStep.values()].map(async (entries) => {
        const out = [];
        for (const e of entries.sort(
          (a, b) => b.createdAt.localeCompare(a.createdAt) || b.iteration - a.iteration,
        )) {
          if (!registry.hasPack(e.pack)) {
            const why = loading.has(e.pack) ? 'could not be loaded' : 'was never announced by the host';
            out.push({ id: e.id, ok: false, error: `pack ${e.pack} ${why}` });
            continue;
          }
          const r = await revertEntry(e, registry.fault(e.kind).def, {
            journal,
            stateDir: config.stateDir,
            log,
            retry: config.retry,
          });
          out.push({ id: e.id, ok: r.ok, ...(r.error ? { error: r.error.message } : {}) });
        }
        return out;
      }),
    );
    record('reverted', { entries: results.flat(), ms: Math.round(performance.now() - t0) });
    await settle(midInject, journal, log);
  } finally {
    await journal.close();
  }
}

/**
 * A command the host spawned just before it died (an `nft -f`, a `fallocate`) outlives it and can
 * finish after the revert, re-creating what was just removed. Entries that were mid-inject are
 * checked again once such a command has had time to end, and reverted again if anything is back.
 */
async function settle(entries: JournalEntry[], journal: RollbackJournal, log: Logger): Promise<void> {
  if (entries.length === 0) return;
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  for (const e of entries) {
    const def = registry.fault(e.kind).def;
    const { signal, dispose } = timeoutSignal(config.retry.attemptTimeoutMs);
    try {
      if (!(await def.present?.(undefined, revertContext(e, config.stateDir, log, signal)))) continue;
    } catch {
      // cannot tell: revert again, reverts are idempotent
    } finally {
      dispose();
    }
    const r = await revertEntry(e, def, { journal, stateDir: config.stateDir, log, retry: config.retry });
    record('reverted-again', { id: e.id, ok: r.ok, ...(r.error ? { error: r.error.message } : {}) });
  }
}

process.stdout.on('error', () => {});
process.stdin.setEncoding('utf8');
process.stdin.on(
  'data',
  lineSplitter((line) => {
    const cmd = decodeCommand(line);
    if (cmd?.type === 'pack') void loadPack(cmd.name).then((ok) => reply(ok ? 'loaded' : 'failed', cmd.name));
    else if (cmd?.type === 'exit') exiting = true;
  }),
);
process.stdin.on('close', () => {
  if (exiting) process.exit(0);
  record('host-gone');
  revertForDeadHost().then(
    () => process.exit(0),
    (e: unknown) => {
      record('failed', { error: errorToJSON(e).message });
      process.exit(1);
    },
  );
});
// a sentinel never takes a terminal's signals for its host: it was started in its own session
for (const sig of ['SIGINT', 'SIGHUP'] as const) process.on(sig, () => {});
record('started');
