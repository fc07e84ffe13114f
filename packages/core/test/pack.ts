// A small pack of real, unprivileged faults and probes for core's own tests: their effects are files
// on disk, so every test can check what was injected and that revert removed it.
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as v from 'valibot';
import { defineFault, definePack, defineProbe, FaultlineError } from '../src/index.js';

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(signal.reason);
      },
      { once: true },
    );
  });

/** Creates `count` files in `<dir>/<objectName>/`; revert removes that folder. */
export const touchFiles = defineFault({
  kind: 'test/touch-files',
  summary: 'creates files in a folder named after the injection',
  tunables: v.object({
    dir: v.string(),
    count: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1000)), 1),
    injectDelayMs: v.optional(v.number(), 0),
    /** A slow revert (for signal tests); it does not listen to abort, as reverts run to the end. */
    revertDelayMs: v.optional(v.number(), 0),
    /** A file whose presence makes inject fail (for error tests). */
    failIfExists: v.optional(v.string()),
  }),
  async inject(ctx) {
    const folder = join(ctx.tunables.dir, ctx.objectName);
    await mkdir(folder, { recursive: true });
    for (let i = 0; i < ctx.tunables.count; i++) {
      await writeFile(join(folder, `f${i}`), `${Date.now()}`);
      if (ctx.tunables.injectDelayMs)
        await sleep(ctx.tunables.injectDelayMs / ctx.tunables.count, ctx.signal);
    }
    if (ctx.tunables.failIfExists && existsSync(ctx.tunables.failIfExists)) {
      throw new FaultlineError('FL_INJECT', `refusing: ${ctx.tunables.failIfExists} exists`);
    }
    return { folder, injectedAt: Date.now() };
  },
  async revert(_receipt, ctx) {
    if (ctx.tunables.revertDelayMs) await sleep(ctx.tunables.revertDelayMs);
    await rm(join(ctx.tunables.dir, ctx.objectName), { recursive: true, force: true });
  },
  async present(_receipt, ctx) {
    return existsSync(join(ctx.tunables.dir, ctx.objectName));
  },
  manual: (_r, ctx) => `rm -rf '${join(ctx.tunables.dir, ctx.objectName)}'`,
  healthCheck: (t) => ({ name: 'dir exists', kind: 'test/path-exists', tunables: { path: t.dir } }),
});

/** Does nothing: what the overhead benchmark measures the runner with. */
export const noop = defineFault({
  kind: 'test/noop',
  summary: 'does nothing',
  tunables: v.object({}),
  inject: async () => ({}),
  revert: async () => {},
  manual: () => 'nothing to do',
});

/**
 * Creates a marker file; its revert fails `failTimes` times (counted in a file, so it works across
 * processes) then succeeds, or always fails while `<dir>/stuck` exists.
 */
export const flakyRevert = defineFault({
  kind: 'test/flaky-revert',
  summary: 'a fault whose revert fails',
  tunables: v.object({ dir: v.string(), failTimes: v.optional(v.number(), 0) }),
  async inject(ctx) {
    const marker = join(ctx.tunables.dir, `${ctx.objectName}.marker`);
    await writeFile(marker, 'x');
    return { marker };
  },
  async revert(_r, ctx) {
    const marker = join(ctx.tunables.dir, `${ctx.objectName}.marker`);
    const counter = join(ctx.tunables.dir, `${ctx.objectName}.reverts`);
    const n = Number(existsSync(counter) ? await readFile(counter, 'utf8') : '0') + 1;
    await writeFile(counter, String(n));
    if (existsSync(join(ctx.tunables.dir, 'stuck'))) throw new Error(`cannot remove ${marker}: it is stuck`);
    if (n <= ctx.tunables.failTimes) throw new Error(`revert attempt ${n} failed on purpose`);
    await rm(marker, { force: true });
  },
  async present(_r, ctx) {
    return existsSync(join(ctx.tunables.dir, `${ctx.objectName}.marker`));
  },
  manual: (_r, ctx) => `rm -f '${join(ctx.tunables.dir, `${ctx.objectName}.marker`)}'`,
});

/** Passes when the path exists (or not, with `absent: true`). */
export const pathExists = defineProbe({
  kind: 'test/path-exists',
  summary: 'checks a path',
  tunables: v.object({ path: v.string(), absent: v.optional(v.boolean(), false) }),
  async run(ctx) {
    const there = existsSync(ctx.tunables.path);
    return { passed: there !== ctx.tunables.absent, value: there };
  },
});

/** Counts the files of a folder and compares: used to see that a fault is in effect during the window. */
export const countFiles = defineProbe({
  kind: 'test/count-files',
  summary: 'counts files under a folder (recursively one level)',
  tunables: v.object({ dir: v.string(), atLeast: v.number() }),
  async run(ctx) {
    let n = 0;
    for (const e of await readdir(ctx.tunables.dir, { withFileTypes: true }).catch(() => [])) {
      n += e.isDirectory() ? (await readdir(join(ctx.tunables.dir, e.name))).length : 1;
    }
    return { passed: n >= ctx.tunables.atLeast, value: n };
  },
});

/** Passes or fails as told, after a delay that honours the signal (a hung probe is `delayMs` huge). */
export const fixed = defineProbe({
  kind: 'test/fixed',
  summary: 'passes or fails as told',
  tunables: v.object({
    pass: v.boolean(),
    delayMs: v.optional(v.number(), 0),
    failFirst: v.optional(v.number(), 0),
  }),
  async run(ctx) {
    if (ctx.tunables.delayMs) await sleep(ctx.tunables.delayMs, ctx.signal);
    return { passed: ctx.tunables.pass, value: ctx.tunables.pass };
  },
});

/** The test pack; a fresh process imports it by this file's URL. */
export const pack = definePack({
  name: new URL(import.meta.url).href,
  faults: [touchFiles, noop, flakyRevert],
  probes: [pathExists, countFiles, fixed],
  templates: [
    {
      name: 'ten-files',
      kind: 'test/touch-files',
      description: 'ten files in /tmp',
      tunables: { dir: '/tmp', count: 10 },
    },
  ],
});
export default pack;
