import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir, touchFilesEntry } from '../test/helpers.js';
import { pack, touchFiles } from '../test/pack.js';
import {
  createRuntime,
  defaultJournalPath,
  experiment,
  type FaultInput,
  FileJournal,
  faultRef,
  type JournalEntry,
  type StepOptions,
} from './index.js';
import { injectContext } from './testing.js';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

/** Spawns the child host and resolves once its fault is injected. */
function startChild(stateDir: string, dir: string) {
  const child = spawn(
    process.execPath,
    [
      '--conditions=@faultline/source',
      '--import',
      'tsx',
      fileURLToPath(new URL('../test/child-run.ts', import.meta.url)),
      stateDir,
      dir,
    ],
    {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const injected = new Promise<{ injected: string; runId: string }>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.includes('"injected"'));
      if (line) resolve(JSON.parse(line));
    });
    child.on('exit', (code) => reject(new Error(`child exited ${code} before injecting: ${err}`)));
  });
  const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_c, sig) => r(sig)));
  return { child, injected, exited };
}

describe('recovery', () => {
  it('recover() at createRuntime reverts what a SIGKILLed process injected', {
    timeout: 30_000,
  }, async () => {
    const stateDir = await tempDir();
    const dir = await tempDir();
    const { child, injected, exited } = startChild(stateDir, dir);
    const { injected: entryId, runId } = await injected;
    expect((await readdir(dir)).length, 'the child injected for real').toBe(1);
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect((await readdir(dir)).length, 'nothing reverted it yet').toBe(1);

    const rt = await createRuntime({ packs: [pack], stateDir });
    expect(rt.recovery?.counts.reverted).toBe(1);
    expect(rt.recovery?.entries[0]).toMatchObject({ outcome: 'reverted', entry: { id: entryId, runId } });
    expect(await readdir(dir)).toEqual([]);
    expect(await rt.journal.pending()).toEqual([]);
    expect(rt.recoveryEvents.snapshot().map((e) => e.type)).toEqual(
      expect.arrayContaining(['fault.reverting', 'fault.reverted']),
    );
    await rt.close();
  });

  it('a fresh process with no pack registered imports the pack an entry names only when told to trust it', async () => {
    const stateDir = await tempDir();
    const dir = await tempDir();
    const { child, injected, exited } = startChild(stateDir, dir);
    await injected;
    child.kill('SIGKILL');
    await exited;
    const untrusting = await createRuntime({ stateDir }); // no packs, no trust: reported, not imported
    expect(untrusting.recovery?.counts).toMatchObject({ reverted: 0, unloadable: 1 });
    expect(untrusting.recovery?.entries[0]?.reason).toMatch(/neither registered nor trusts.*trustPacks/);
    expect((await readdir(dir)).length).toBe(1);
    await untrusting.close();
    const rt = await createRuntime({ stateDir, trustPacks: [pack.name] }); // imported by that name
    expect(rt.recovery?.counts.reverted).toBe(1);
    expect(await readdir(dir)).toEqual([]);
    await rt.close();
  });

  it('entries from an older boot: reverted where present() says still in effect, reported gone otherwise', async () => {
    const stateDir = await tempDir();
    const dir = await tempDir();
    const journal = await FileJournal.open(defaultJournalPath(stateDir));
    const make = async (stepId: string, inject: boolean): Promise<JournalEntry> => {
      const ctx = injectContext(touchFiles, { dir }, { runId: 'oldboot0run', stepId, stateDir });
      const entry = touchFilesEntry(ctx, dir, { state: 'active' });
      await journal.begin({ ...entry, state: 'injecting' });
      const receipt = inject
        ? await touchFiles.inject(ctx)
        : { folder: join(dir, ctx.objectName), injectedAt: 0 };
      await journal.update(entry.id, { state: 'active', receipt });
      return entry;
    };
    const survived = await make('survived', true); // a fill file survives a reboot
    const gone = await make('vanished', false); // an nft table does not
    await journal.close();
    expect(existsSync(join(dir, survived.objectName))).toBe(true);

    const rt = await createRuntime({ packs: [pack], stateDir, bootId: 'boot-after-reboot' });
    const outcome = Object.fromEntries(rt.recovery!.entries.map((e) => [e.entry.stepId, e.outcome]));
    expect(outcome).toEqual({ survived: 'reverted', vanished: 'gone' });
    expect(existsSync(join(dir, survived.objectName))).toBe(false);
    expect(await rt.journal.pending()).toEqual([]);
    expect((await rt.journal.get(gone.id))?.state).toBe('reverted');
    await rt.close();
  });

  it('entries of a live process are left to it; revert_failed ones wait for retryFailed', async () => {
    const stateDir = await tempDir();
    const dir = await tempDir();
    const { child, injected, exited } = startChild(stateDir, dir);
    await injected;
    const rt = await createRuntime({ packs: [pack], stateDir });
    expect(rt.recovery?.counts.owned).toBe(1);
    expect((await readdir(dir)).length, 'a live process keeps its chaos').toBe(1);
    child.kill('SIGKILL');
    await exited;
    const again = await rt.recover();
    expect(again.counts.reverted).toBe(1);
    await rt.close();
  });

  it('two runtimes on one FileJournal run at once without corrupting it', async () => {
    const stateDir = await tempDir();
    const dir = await tempDir();
    const [a, b] = await Promise.all([
      createRuntime({ packs: [pack], stateDir }),
      createRuntime({ packs: [pack], stateDir }),
    ]);
    const spec = (id: string) =>
      experiment(id)
        .parallel(
          ...Array.from({ length: 10 }, (_, i): [FaultInput, StepOptions] => [
            faultRef(touchFiles, { dir }),
            { id: `${id}${i}`, duration: '20ms' },
          ]),
        )
        .build();
    const results = await Promise.all([
      ...Array.from({ length: 3 }, () => a.run(spec('a')).result),
      ...Array.from({ length: 3 }, () => b.run(spec('b')).result),
    ]);
    expect(results.map((r) => r.verdict)).toEqual(Array(6).fill('Pass'));
    await Promise.all([a.close(), b.close()]);
    const lines = readFileSync(defaultJournalPath(stateDir), 'utf8').split('\n').filter(Boolean);
    for (const l of lines) expect(() => JSON.parse(l)).not.toThrow();
    const check = await FileJournal.open(defaultJournalPath(stateDir));
    expect(await check.pending()).toEqual([]);
    await check.close();
    expect(await readdir(dir)).toEqual([]);
  });
});
