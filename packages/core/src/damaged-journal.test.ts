// A damaged journal line is never dropped silently: kept aside, warned about through the runtime,
// listed in the recovery report, and an entry whose begin line was hit is rebuilt and reverted.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { describe, expect, it, vi } from 'vitest';
import { tempDir, touchFilesEntry } from '../test/helpers.js';
import { pack, touchFiles } from '../test/pack.js';
import { createRuntime, defaultJournalPath, FileJournal, type JournalEntry } from './index.js';
import { nodePlatform } from './platform.js';
import { injectContext } from './testing.js';

/** A real injection whose process is gone, journaled as a run would: begin, then the receipt. */
async function deadInjection(stateDir: string, dir: string, stepId: string): Promise<JournalEntry> {
  const ctx = injectContext(touchFiles, { dir }, { runId: `dmg${stepId}run0`, stepId, stateDir });
  // this boot, a process that is gone: recovery reverts it without asking present()
  const entry = touchFilesEntry(ctx, dir, {
    bootId: nodePlatform.bootId(),
    pidStart: 'a-process-that-is-gone',
  });
  const journal = await FileJournal.open(defaultJournalPath(stateDir));
  await journal.begin(entry);
  await journal.update(entry.id, { state: 'active', receipt: await touchFiles.inject(ctx) });
  await journal.close();
  return entry;
}

describe('a damaged journal', () => {
  it("one corrupted byte in an active entry's begin line: the entry is rebuilt and reverted, the line kept aside, the damage warned about and reported", async () => {
    const stateDir = await tempDir();
    const dir = await tempDir();
    const hit = await deadInjection(stateDir, dir, 'hit');
    const fine = await deadInjection(stateDir, dir, 'fine');
    expect((await readdir(dir)).length).toBe(2);
    const path = defaultJournalPath(stateDir);
    const text = readFileSync(path, 'utf8');
    const begin = text.indexOf(`{"op":"begin","entry":{"id":"${hit.id}"`);
    const comma = text.indexOf(',', begin + 30); // the comma after the id: the line no longer parses
    const damaged = `${text.slice(0, comma)};${text.slice(comma + 1)}`;
    writeFileSync(path, damaged);
    const badLine = damaged.split('\n')[0]!;
    expect(() => JSON.parse(badLine)).toThrow();

    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const rt = await createRuntime({ packs: [pack], stateDir, sentinel: false });
      const report = rt.recovery!;
      expect(report.entries.map((e) => [e.entry.id, e.outcome])).toEqual([
        [hit.id, 'reverted'],
        [fine.id, 'reverted'],
      ]);
      expect(report.entries[0]?.entry.damaged).toMatch(/rebuilt from damaged line 1/);
      expect(await readdir(dir), 'both injections reverted').toEqual([]);
      // the line is listed, and kept in a file beside the journal, as it was
      expect(report.damage.lines).toEqual([
        expect.objectContaining({
          line: 1,
          entryId: hit.id,
          keptIn: expect.stringMatching(/journal\.jsonl\.corrupt-/),
        }),
      ]);
      const keptIn = report.damage.lines[0]!.keptIn!;
      expect(report.damage.keptAside).toEqual([keptIn]);
      expect(readFileSync(keptIn, 'utf8')).toBe(`${badLine}\n`);
      // warned through the runtime (stderr and its events), not into a no-op logger
      expect(warn.mock.calls.map((c) => String(c[0])).join('\n')).toMatch(/line 1 .* is damaged/);
      const logged = rt.recoveryEvents
        .snapshot()
        .filter((e) => e.type === 'log' && /damaged/.test(e.message));
      expect(logged.length).toBeGreaterThanOrEqual(2);
      expect(await rt.journal.pending()).toEqual([]);
      await rt.close();
    } finally {
      warn.mockRestore();
    }
  });

  it('a damaged line that names no entry is kept aside and reported; every other entry stays', async () => {
    const stateDir = await tempDir();
    const dir = await tempDir();
    const entry = await deadInjection(stateDir, dir, 'kept');
    const path = defaultJournalPath(stateDir);
    writeFileSync(path, `\u0000\u0000garbage from a bad sector\n${readFileSync(path, 'utf8')}`);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const rt = await createRuntime({ packs: [pack], stateDir, sentinel: false });
      expect(rt.recovery?.entries.map((e) => [e.entry.id, e.outcome])).toEqual([[entry.id, 'reverted']]);
      expect(rt.recovery?.damage.lines).toEqual([
        expect.objectContaining({
          line: 1,
          text: expect.stringContaining('garbage'),
          keptIn: expect.any(String),
        }),
      ]);
      expect(existsSync(rt.recovery!.damage.lines[0]!.keptIn!)).toBe(true);
      expect(await readdir(dir)).toEqual([]);
      await rt.close();
    } finally {
      warn.mockRestore();
    }
  });
});
