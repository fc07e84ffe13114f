import { errorToJSON, FaultlineError } from './errors.js';
import type { EventStream } from './event-stream.js';
import type { JournalDamage, JournalEntry, RollbackJournal } from './journal.js';
import { makeLogger } from './logger.js';
import type { FaultDefinition, Leftover, Logger, Pack } from './model.js';
import type { Platform } from './platform.js';
import type { Registry } from './registry.js';
import { type RetryPolicy, revertContext, revertEntry } from './revert.js';
import { timeoutSignal, whenAborted } from './timing.js';

/** Options of `recover()`. */
export interface RecoverOptions {
  /** Also try again the entries that are `revert_failed` (default false: they wait for a person). */
  retryFailed?: boolean;
  /** Ask every registered pack with a `scanLeftovers()` what is still on the host (default true). */
  leftovers?: boolean;
}

/**
 * Packs recovery may `import()` by the name a journal entry gives, besides the registered ones. A
 * journal is data, never a list of code to run: an entry naming any other module is reported
 * `unloadable`, never imported.
 */
export type TrustedPacks = readonly string[];

/** A leftover in the recovery report: what the pack found, and which pack. */
export type RecoveredLeftover = Leftover & { pack: string };

/** One entry and what recovery did with it. */
export interface RecoveredEntry {
  entry: JournalEntry;
  /**
   * reverted: it was undone now. gone: from an older boot and no longer in effect (marked reverted).
   * failed: the revert failed (manual text in the entry). manual: revert_failed, left for a person.
   * owned: its process is alive, so it is that process's to revert. unloadable: its pack is neither
   * registered nor trusted, or could not be imported.
   */
  outcome: 'reverted' | 'gone' | 'failed' | 'manual' | 'owned' | 'unloadable';
  reason: string;
}

/** What `recover()` found and did. */
export interface RecoveryReport {
  startedAt: string;
  durationMs: number;
  entries: RecoveredEntry[];
  /** Counts by outcome. */
  counts: Record<RecoveredEntry['outcome'], number>;
  /**
   * What the packs' own scans still find on the host after the entries were dealt with: objects of
   * failed reverts, of processes that wrote no journal entry here (another state dir, a lost
   * journal) — everything but the objects of runs that are alive (this process's, or a live
   * process's entries in this journal). Recovery reports them; it does not remove them.
   */
  leftovers: RecoveredLeftover[];
  /**
   * Journal lines that could not be read (and the entries rebuilt from them, which are in `entries`
   * with `entry.damaged` set), and the files they were copied to. Empty for journals that cannot be
   * damaged this way.
   */
  damage: JournalDamage;
}

/** What recovery needs. */
export interface RecoverDeps {
  journal: RollbackJournal;
  registry: Registry;
  platform: Platform;
  stateDir: string;
  retry: RetryPolicy;
  /** Where recovery's events go (fault.reverting / fault.reverted / fault.revert_failed / log). */
  stream: EventStream;
  /** Entries of runs this process is running now are never touched. */
  activeRuns: ReadonlySet<string>;
  /** Packs that may be imported by name when an entry names one that is not registered (default none). */
  trustedPacks?: TrustedPacks;
}

/**
 * Reverts what a dead process or an older boot left in effect, before anything runs:
 * - an entry left `injecting`/`active`/`reverting` by a process that is gone (pid + start time) is reverted;
 * - an entry from another boot is checked with `present()` and reverted where still in effect;
 * - a live process's entries are left to it; `revert_failed` ones wait for a person unless `retryFailed`.
 * A pack that an entry names and that is not registered is `import()`ed by its name only if it is in
 * `trustedPacks`: the journal is data, and a line naming a module must never make a root process run it.
 * Damaged journal lines are reported (`damage`), and an entry rebuilt from one is dealt with like
 * the others, loudly.
 */
export async function recover(deps: RecoverDeps, opts: RecoverOptions = {}): Promise<RecoveryReport> {
  const t0 = performance.now();
  const startedAt = new Date().toISOString();
  const log = makeLogger((level, message, data) =>
    deps.stream.emit({ type: 'log', level, message, ...(data ? { data } : {}) }),
  );
  const entries: RecoveredEntry[] = [];
  const bootId = deps.platform.bootId();
  // objects of live runs are not leftovers: their names are kept out of the leftovers
  const live = new Set<string>();
  const damage = deps.journal.damage?.() ?? { lines: [], keptAside: [] };
  for (const d of damage.lines) {
    log.error(
      `line ${d.line} of ${d.journal} is damaged${d.entryId ? ` (entry ${d.entryId} was rebuilt from it)` : ''}` +
        `${d.keptIn ? `; kept in ${d.keptIn}` : ''}: ${d.text.slice(0, 120)}`,
    );
  }
  for (const entry of await deps.journal.pending()) {
    const done = (outcome: RecoveredEntry['outcome'], why: string) => {
      // a rebuilt entry's fields may be partial: every outcome says so, and what a person can do
      const reason = entry.damaged
        ? `${why} — ${entry.damaged}: look for objects named ${entry.objectName} (scanLeftovers lists them)`
        : why;
      entries.push({ entry, outcome, reason });
      if (entry.damaged && outcome !== 'reverted' && outcome !== 'gone') log.error(`${entry.id}: ${reason}`);
    };
    if (deps.activeRuns.has(entry.runId)) {
      live.add(entry.objectName);
      continue;
    }
    if (entry.state === 'revert_failed' && !opts.retryFailed) {
      done(
        'manual',
        `revert failed earlier: ${entry.error?.message ?? 'unknown error'}; run the manual commands or recover({ retryFailed: true })`,
      );
      continue;
    }
    const otherBoot = entry.bootId !== bootId;
    if (!otherBoot && entry.state !== 'revert_failed' && isAlive(deps.platform, entry.pid, entry.pidStart)) {
      live.add(entry.objectName);
      done('owned', `process ${entry.pid} that injected it is still running`);
      continue;
    }
    let fault: FaultDefinition<any, any>;
    try {
      fault = await loadFault(deps.registry, entry, deps.trustedPacks ?? []);
    } catch (e) {
      done('unloadable', errorToJSON(e).message);
      log.error(`cannot recover ${entry.kind} (${entry.id}): ${errorToJSON(e).message}`);
      continue;
    }
    if (otherBoot && fault.present) {
      const { signal, dispose } = timeoutSignal(deps.retry.attemptTimeoutMs);
      let present = true;
      try {
        present = await fault.present(
          entry.receipt ?? undefined,
          revertContext(entry, deps.stateDir, log, signal),
        );
      } catch (e) {
        log.warn(
          `present() of ${entry.kind} (${entry.id}) failed, reverting to be safe: ${errorToJSON(e).message}`,
        );
      } finally {
        dispose();
      }
      if (!present) {
        // not recorded (a full disk): nothing is in effect, and the next recovery looks again
        await deps.journal.update(entry.id, { state: 'reverted' }).catch((e: unknown) => {
          log.warn(`could not mark ${entry.id} reverted in the journal: ${errorToJSON(e).message}`);
        });
        done('gone', `from boot ${entry.bootId.slice(0, 8)}; no longer in effect`);
        log.info(`${entry.kind} (${entry.id}) from an older boot is no longer in effect`);
        continue;
      }
    }
    const base = { stepId: entry.stepId, kind: entry.kind, entryId: entry.id };
    const r = await revertEntry(
      entry,
      fault,
      { journal: deps.journal, stateDir: deps.stateDir, log, retry: deps.retry },
      {
        reverting: (attempt) => deps.stream.emit({ type: 'fault.reverting', ...base, attempt }),
        reverted: (ms) => deps.stream.emit({ type: 'fault.reverted', ...base, ms }),
        failed: (error, manual) => deps.stream.emit({ type: 'fault.revert_failed', ...base, error, manual }),
      },
    );
    const why = otherBoot
      ? `from boot ${entry.bootId.slice(0, 8)} and still in effect`
      : `process ${entry.pid} is gone`;
    done(r.ok ? 'reverted' : 'failed', r.ok ? why : `${why}; ${r.error?.message}`);
  }
  const counts = { reverted: 0, gone: 0, failed: 0, manual: 0, owned: 0, unloadable: 0 };
  for (const e of entries) counts[e.outcome]++;
  const leftovers = opts.leftovers === false ? [] : await scanPacks(deps.registry.packs(), deps, log, live);
  return { startedAt, durationMs: Math.round(performance.now() - t0), entries, counts, leftovers, damage };
}

/** Every pack's scanLeftovers(), bounded by one attempt's timeout; a failing scan is logged, not fatal. */
async function scanPacks(
  packs: Pack[],
  deps: RecoverDeps,
  log: Logger,
  live: ReadonlySet<string>,
): Promise<RecoveredLeftover[]> {
  const found = await Promise.all(
    packs.map(async (pack): Promise<RecoveredLeftover[]> => {
      if (!pack.scanLeftovers) return [];
      const { signal, dispose } = timeoutSignal(deps.retry.attemptTimeoutMs);
      const aborted = whenAborted(signal);
      try {
        const list = await Promise.race([
          pack.scanLeftovers({ stateDir: deps.stateDir, signal, log }),
          aborted.promise,
        ]);
        return list.map((l) => ({ ...l, pack: pack.name }));
      } catch (e) {
        log.warn(`the leftovers scan of ${pack.name} failed: ${errorToJSON(e).message}`);
        return [];
      } finally {
        aborted.dispose();
        dispose();
      }
    }),
  );
  const ofLiveRun = (l: Leftover) => [...live].some((n) => l.name.includes(n) || l.detail.includes(n));
  return found.flat().filter((l) => !ofLiveRun(l));
}

/** Is the process that wrote an entry still the same running process? A recycled pid has another start time. */
export function isAlive(platform: Platform, pid: number, pidStart: string): boolean {
  const start = platform.processStart(pid);
  return start !== undefined && (start === pidStart || start === 'unknown' || pidStart === 'unknown');
}

async function loadFault(
  registry: Registry,
  entry: JournalEntry,
  trusted: TrustedPacks,
): Promise<FaultDefinition<any, any>> {
  if (!registry.hasPack(entry.pack)) {
    if (!trusted.includes(entry.pack)) {
      throw new FaultlineError(
        'FL_RECOVERY',
        `the entry names pack ${JSON.stringify(entry.pack)}, which this runtime neither registered nor trusts; ` +
          'recovery never imports a module because a journal line names it. Register the pack ' +
          `(createRuntime({ packs: [...] })) or trust it by name (createRuntime({ trustPacks: [${JSON.stringify(entry.pack)}] })), then recover again`,
      );
    }
    const mod = (await import(entry.pack)) as { pack?: Pack; default?: Pack };
    const pack = mod.pack ?? mod.default;
    if (!pack) throw new Error(`module '${entry.pack}' exports no pack`);
    registry.register(pack);
  }
  return registry.fault(entry.kind).def;
}
