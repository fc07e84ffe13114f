// The "disk full" ending, with real faults: faultline's state dir is a small tmpfs the test mounts,
// an fs-fill of that same filesystem (percent 100, safetyFloor 0) runs in one parallel step with a
// network loss in a namespace pair and a Continuous cmd probe — the reproduction of issue #12 item
// 1. Then the same with the disk filled to the last byte by someone else and the host killed -9.
// Each time: the run ends (or the sentinel reverts), and the leftovers scan and the faults' own
// present() find nothing.
import { readdirSync } from 'node:fs';
import {
  createRuntime,
  experiment,
  type FaultDefinition,
  type RollbackJournal,
  type RunHandle,
} from '@faultline/core';
import { canMount, mountSmallTmpfs, revertContext, type SmallTmpfs } from '@faultline/core/testing';
import probesPack, { cmd } from '@faultline/probes';
import { describe, expect, it } from 'vitest';
import linuxPack, { faults, linux, scanLeftovers } from '../../src/index.js';
import { makeNetnsPair, type NetnsPair } from '../../src/testing/netns.js';
import { runPrefix, startHostChild, unfinished, whatIsLeft, within } from './harness.js';

const HEADROOM = 2 * 1024 * 1024; // what a fill leaves on the state dir's filesystem (host/fill.ts)

/** A namespace pair and a tmpfs as state dir, both gone after `body`. */
async function withFullDiskWorld<T>(body: (pair: NetnsPair, fs: SmallTmpfs) => Promise<T>): Promise<T> {
  const pair = await makeNetnsPair({ prefix: 'fsd' });
  const fs = mountSmallTmpfs(8);
  try {
    return await body(pair, fs);
  } finally {
    // whatever the code under test left (the assertions said so already): a recovery, then force
    try {
      await (
        await createRuntime({ packs: [linuxPack, probesPack], stateDir: fs.path, sentinel: false })
      ).close();
    } catch {
      // a runtime that cannot start here is what a failing run of this test shows; clean up anyway
    }
    await pair.destroy();
    fs.unmount();
  }
}

/** Leftovers of this run: the pack's scan (fill files under the tmpfs too) and the raw nft/tc views. */
async function leftOf(runId: string, pair: NetnsPair, fs: SmallTmpfs): Promise<string[]> {
  const prefix = runPrefix(runId);
  const scanned = (
    await scanLeftovers({ namespaces: [pair.a, pair.b], allowedRoots: [fs.path], stateDir: fs.path })
  )
    .filter(
      (l) => `${l.name} ${l.detail}`.includes(prefix) || [pair.a, pair.b].some((n) => l.detail.includes(n)),
    )
    .map((l) => `${l.type} ${l.name} ${l.detail}`);
  const raw = await whatIsLeft({ runId, stateDir: fs.path, pair }, { journal: false });
  return [...scanned, ...raw, ...readdirSync(fs.path).filter((f) => f.startsWith(prefix))];
}

/** Every injection of the run, asked with its own present() from its journal entry: none may still be in effect. */
async function stillPresent(run: RunHandle, journal: RollbackJournal, stateDir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of run.events.snapshot()) {
    if (e.type !== 'fault.injecting') continue;
    const entry = await journal.get(e.entryId);
    if (!entry) throw new Error(`no journal entry ${e.entryId}`);
    const def = Object.values(faults).find((f) => f.kind === e.kind) as FaultDefinition<any, any>;
    if (await def.present?.(entry.receipt, revertContext({ ...entry, stateDir })))
      out.push(`${e.kind} ${e.stepId} is still in effect`);
  }
  return out;
}

describe.skipIf(!canMount)('a full state disk, with real faults', { timeout: 90_000 }, () => {
  it("fs-fill of the state dir's own filesystem at 100 % with safetyFloor 0, a network loss and a Continuous probe: faultline keeps its room, the run ends Pass, nothing is left", async () => {
    await withFullDiskWorld(async (pair, fs) => {
      const rt = await createRuntime({ packs: [linuxPack, probesPack], stateDir: fs.path, signals: false });
      const fill = { path: fs.path, percent: 100, safetyFloor: '0', allowedRoots: [fs.path] };
      const loss = { namespace: pair.a, percent: 30, interfaces: [pair.vethA], destinationIps: [pair.ipB] };
      const probe = cmd(['true']).mode('Continuous').every('50ms');
      const run = rt.run(
        experiment('flc full state disk')
          .parallel(
            [linux.fsFill(fill), { id: 'fill', duration: '1500ms', probes: [probe] }],
            [linux.networkLoss(loss), { id: 'loss', duration: '1500ms' }],
          )
          .build(),
      );
      let freeDuring = -1;
      run.events.on('fault.injected', (e) => {
        if (e.stepId === 'fill') freeDuring = fs.free();
      });
      const result = await run.result;
      expect(freeDuring, 'the fill left faultline its room').toBeGreaterThanOrEqual(HEADROOM);
      expect(freeDuring).toBeLessThan(HEADROOM + 1024 * 1024);
      const warned = run.events.snapshot().filter((e) => e.type === 'log' && /state dir/.test(e.message));
      expect(warned.length, 'the trim is said').toBeGreaterThanOrEqual(1);
      expect(result.verdict, JSON.stringify(result.faults)).toBe('Pass');
      expect(result.probes.find((p) => p.stepId === 'fill' && p.mode === 'Continuous')?.runs).toBeGreaterThan(
        5,
      );
      expect(await leftOf(run.id, pair, fs)).toEqual([]);
      expect(await stillPresent(run, rt.journal, fs.path)).toEqual([]);
      expect(await unfinished(fs.path)).toEqual([]);
      await rt.close();
    });
  });

  it('the disk filled to the last byte by someone else, then kill -9 of the host: the sentinel reverts the loss and the fill, and a new runtime starts on the full disk', async () => {
    await withFullDiskWorld(async (pair, fs) => {
      const h = startHostChild({
        stateDir: fs.path,
        net: { namespace: pair.a, iface: pair.vethA, dest: pair.ipB },
        fsFill: { path: fs.path, percent: 100, safetyFloor: '0' },
      });
      const started = await h.waitFor((l) => 'started' in l, 'the run start');
      await h.waitFor((l) => l.event === 'fault.injected' && l.stepId === 'fill', 'the fill');
      await h.waitFor((l) => l.event === 'fault.injected' && l.stepId === 'loss', 'the loss');
      const runId = started.started as string;
      expect((await leftOf(runId, pair, fs)).join('\n')).toMatch(/nft in /);
      // everything else on the disk: now it is full, to the last byte
      fs.fill(`not-faultline-${runId.slice(0, 8)}`);
      expect(fs.free()).toBe(0);
      h.child.kill('SIGKILL');
      expect((await h.exited).signal).toBe('SIGKILL');
      await within(10_000, 'the sentinel reverted on a full disk', async () => [
        ...(await leftOf(runId, pair, fs)),
        ...(await unfinished(fs.path)),
      ]);
      // a new runtime on the still full disk (the fill is gone, the other file is not)
      const rt = await createRuntime({ packs: [linuxPack, probesPack], stateDir: fs.path, sentinel: false });
      expect(rt.recovery?.entries.filter((e) => e.outcome !== 'gone')).toEqual([]);
      await rt.close();
    });
  });
});
