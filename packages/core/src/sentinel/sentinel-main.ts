// The sentinel: a small detached process that outlives a host killed with SIGKILL (or OOM-killed,
// or crashed) and reverts, from the journal alone, every entry that host left in effect.
import { appendFileSync } from 'node:fs';
import { errorToJSON } from '../errors.js';
import { type JournalEntry, type RollbackJournal, UNFINISHED_STATES } from '../journal.js';
import { makeLogger } from '../logger.js';
import type { Pack } from '../model.js';
import { nodePlatform } from '../platform.js';
import { Registry } from '../registry.js';
import { revertEntry } from '../revert.js';
import { decodeCommand, type SentinelConfig } from './protocol.js';

const config = JSON.parse(process.argv[2] ?? '{}') as SentinelConfig;
const registry = new Registry();
const loading = new Map<string, Promise<void>>();
let exiting = false;

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

function loadPack(name: string): Promise<void> {
  let p = loading.get(name);
  if (!p) {
    p = import(name).then(
      (mod: { pack?: Pack; default?: Pack }) => {
        const pack = mod.pack ?? mod.default;
        if (pack && !registry.hasPack(pack.name)) registry.register(pack);
      },
      (e: unknown) => record('pack-load-failed', { pack: name, error: errorToJSON(e).message }),
    );
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

/** The host is gone: revert its unfinished entries, newest first within a run, runs together. */
async function revertForDeadHost(): Promise<void> {
  const t0 = performance.now();
  const start = nodePlatform.processStart(config.hostPid);
  if (start !== undefined && start === config.hostStart) {
    record('host-alive', { note: 'the pipe closed but the host lives; its runtime reverts its own faults' });
    return;
  }
  const journal = await openJournal();
  try {
    const mine = (await journal.pending()).filter(
      (e) =>
        e.pid === config.hostPid && e.pidStart === config.hostStart && UNFINISHED_STATES.includes(e.state),
    );
    await Promise.all([...new Set(mine.map((e) => e.pack))].map(loadPack));
    const byRun = new Map<string, JournalEntry[]>();
    for (const e of mine) byRun.set(e.runId, [...(byRun.get(e.runId) ?? []), e]);
    const log = makeLogger((level, message) => record('log', { level, message }));
    const results = await Promise.all(
      [...byRun.values()].map(async (entries) => {
        const out = [];
        for (const e of entries.sort(
          (a, b) => b.createdAt.localeCompare(a.createdAt) || b.iteration - a.iteration,
        )) {
          if (!registry.hasPack(e.pack)) {
            out.push({ id: e.id, ok: false, error: `pack ${e.pack} could not be loaded` });
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
  } finally {
    await journal.close();
  }
}

let buffer = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
  buffer += chunk;
  for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
    const cmd = decodeCommand(buffer.slice(0, i));
    buffer = buffer.slice(i + 1);
    if (cmd?.type === 'pack') void loadPack(cmd.name);
    else if (cmd?.type === 'exit') exiting = true;
  }
});
process.stdin.on('close', () => {
  if (exiting) process.exit(0);
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
