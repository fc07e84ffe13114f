// Whom faultline trusts: the packs it was given, never a module a journal line names; a state dir
// and journal of its own user that nobody else can write; never a symlink where its journal should be.
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../test/helpers.js';
import { startHost, within } from '../test/host.js';
import { pack } from '../test/pack.js';
import {
  createRuntime,
  defaultJournalPath,
  FileJournal,
  isFaultlineError,
  type JournalEntry,
} from './index.js';

/** A module that leaves a marker when anything imports it: what an attacker would name in a journal line. */
async function evilModule(): Promise<{ url: string; marker: string }> {
  const dir = await tempDir();
  const marker = join(dir, 'IMPORTED');
  const file = join(dir, 'evil.mjs');
  writeFileSync(
    file,
    `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'ran');\n`,
  );
  return { url: `file://${file}`, marker };
}

function forgedEntry(packName: string, over: Partial<JournalEntry> = {}): JournalEntry {
  const now = new Date().toISOString();
  return {
    id: 'forged0run:evil:0',
    runId: 'forged0run',
    stepId: 'evil',
    iteration: 0,
    kind: 'evil/fault',
    pack: packName,
    tunables: {},
    objectName: 'faultline_forged0r_evil',
    state: 'active',
    bootId: 'some-other-boot',
    pid: 999_999,
    pidStart: 'dead',
    createdAt: now,
    updatedAt: now,
    ...over,
  };
}

const rejection = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

describe('trust', () => {
  it('recover() never imports a module a journal entry names unless that pack is registered or trusted', async () => {
    const stateDir = await tempDir();
    const evil = await evilModule();
    const journal = await FileJournal.open(defaultJournalPath(stateDir));
    await journal.begin(forgedEntry(evil.url));
    await journal.close();
    const rt = await createRuntime({ packs: [pack], stateDir, sentinel: false });
    expect(existsSync(evil.marker), 'the module named by the journal ran').toBe(false);
    expect(rt.recovery?.entries).toEqual([
      expect.objectContaining({
        outcome: 'unloadable',
        reason: expect.stringMatching(/neither registered nor trusts/),
      }),
    ]);
    await rt.close();
  });

  it('the sentinel imports only the packs its host announced, not one a forged journal line names', async () => {
    const stateDir = await tempDir();
    const dir = await tempDir();
    const evil = await evilModule();
    const host = startHost(stateDir, dir, { sentinel: true });
    const { runId, sentinel } = await host.waitFor('injected');
    expect(sentinel).toBeGreaterThan(0);
    // someone who can write the journal adds an entry in the host's name
    const hostStart = readFileSync(`/proc/${host.child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[19]!;
    const journal = await FileJournal.open(defaultJournalPath(stateDir));
    await journal.begin(forgedEntry(evil.url, { pid: host.child.pid!, pidStart: hostStart, bootId: 'x' }));
    await journal.close();
    host.child.kill('SIGKILL');
    await host.exited;
    // the host's own fault is reverted by the sentinel, from the pack it announced
    await within(10_000, 'the sentinel reverted the real fault', () =>
      readFileSync(join(stateDir, 'sentinel.log'), 'utf8').includes('"what":"reverted"'),
    );
    const log = readFileSync(join(stateDir, 'sentinel.log'), 'utf8');
    expect(log).toMatch(/was never announced by the host/);
    expect(existsSync(evil.marker), 'the module named by the forged line ran').toBe(false);
    expect(runId).toBeDefined();
  });

  it('a state dir that others can write, or that belongs to another user, is refused with what to chmod/chown', async () => {
    const open = await tempDir();
    chmodSync(open, 0o777);
    const err = await rejection(createRuntime({ packs: [pack], stateDir: open, sentinel: false }));
    expect(isFaultlineError(err, 'FL_JOURNAL')).toBe(true);
    expect((err as Error).message).toMatch(/writable by group and others \(mode 0777\).*chmod go-w/);

    const foreign = await tempDir();
    chownSync(foreign, 4242, 4242);
    const err2 = await rejection(createRuntime({ packs: [pack], stateDir: foreign, sentinel: false }));
    expect((err2 as Error).message).toMatch(/belongs to uid 4242.*chown \d+/);

    // the journal file itself: another user's, or writable by others
    const dir = await tempDir();
    const path = defaultJournalPath(dir);
    writeFileSync(path, '', { mode: 0o666 });
    chmodSync(path, 0o666);
    const err3 = await rejection(FileJournal.open(path));
    expect((err3 as Error).message).toMatch(/journal .* is writable by group and others.*chmod 600/);
  });

  it('a journal.jsonl that is a symlink is never followed', async () => {
    const dir = await tempDir();
    const elsewhere = join(await tempDir(), 'target');
    writeFileSync(elsewhere, 'precious\n');
    symlinkSync(elsewhere, defaultJournalPath(dir));
    const err = await rejection(createRuntime({ packs: [pack], stateDir: dir, sentinel: false }));
    expect(isFaultlineError(err, 'FL_JOURNAL')).toBe(true);
    expect((err as Error).message).toMatch(/is a symlink: faultline never follows one/);
    expect(readFileSync(elsewhere, 'utf8')).toBe('precious\n');
  });

  it('a state dir path that is a file, and directories where the journal or its lock should be, get advice that fits', async () => {
    const base = await tempDir();
    const file = join(base, 'state');
    writeFileSync(file, '');
    const err = await rejection(createRuntime({ packs: [pack], stateDir: file, sentinel: false }));
    expect((err as Error).message).toMatch(/state dir .*state cannot be a directory: a file is there/);
    expect((err as Error).message).not.toMatch(/EEXIST/);

    const dir = await tempDir();
    mkdirSync(defaultJournalPath(dir));
    const err2 = await rejection(createRuntime({ packs: [pack], stateDir: dir, sentinel: false }));
    expect((err2 as Error).message).toMatch(
      /journal\.jsonl is a directory, where the journal file should be\. Move it away/,
    );

    const dir3 = await tempDir();
    mkdirSync(`${defaultJournalPath(dir3)}.lock`);
    const warnings: string[] = [];
    // the lock is only needed to compact: the journal opens, and says why it could not compact
    const j = await FileJournal.open(defaultJournalPath(dir3), { onWarning: (m) => warnings.push(m) });
    await j.close();
    expect(warnings.join('\n')).toMatch(
      /journal\.jsonl\.lock is a directory, where the journal's lock should be.*Move the directory away/,
    );
  });
});
