// The daemon's runtime from its command line: `--journal sqlite` keeps the journal in
// <state-dir>/journal.db (store-sqlite, installed beside), and a run through the agent is journaled there.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AUTH, filesIn, fillSpec, TOKEN, tempDir, until } from '../../test/helpers.js';
import { createAgent } from '../server/agent.js';
import { parseConfig } from './config.js';
import { agentRuntime, loadPacks, recoverOnce } from './runtime.js';

describe("the daemon's runtime", () => {
  it('--journal sqlite: the journal is <state-dir>/journal.db, runs are journaled there, recover opens it', async () => {
    const stateDir = await tempDir('flagent-sqlite-');
    const dir = await tempDir();
    const cfg = parseConfig(['--journal', 'sqlite', '--state-dir', stateDir], {});
    const runtime = await agentRuntime(cfg, { supervised: true });
    expect(runtime.journal.constructor.name).toBe('SqliteJournal');
    const app = createAgent({ runtime, token: TOKEN });
    const res = await app.request('/v1/runs', {
      method: 'POST',
      headers: AUTH,
      body: JSON.stringify(fillSpec(dir, '200ms')),
    });
    const { id } = (await res.json()) as { id: string };
    await until('the run ended', () => app.activeRuns === 0);
    expect(await filesIn(dir)).toEqual([]);
    expect(await runtime.journal.get(`${id}:fill:0`)).toMatchObject({
      state: 'reverted',
      kind: 'linux/disk-fill',
    });
    await runtime.close();
    expect(existsSync(join(stateDir, 'journal.db'))).toBe(true);
    expect(existsSync(join(stateDir, 'journal.jsonl'))).toBe(false);
    expect((await recoverOnce(cfg)).entries).toEqual([]);
  });

  it('--pack: a package name or an absolute path; a module with no pack is a configuration error', async () => {
    const [linux] = await loadPacks(['@faultline/faults-linux']);
    expect(linux?.name).toBe('@faultline/faults-linux');
    await expect(loadPacks(['@faultline/no-such-pack'])).rejects.toThrow(/cannot import it/);
    await expect(loadPacks([join(import.meta.dirname, 'config.ts')])).rejects.toThrow(/exports no pack/);
  });
});
