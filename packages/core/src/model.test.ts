import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../test/helpers.js';
import { pack, pathExists, touchFiles } from '../test/pack.js';
import {
  definePack,
  defineProbe,
  experiment,
  faultRef,
  folderHub,
  fromTemplate,
  isFaultlineError,
  packHub,
  Registry,
} from './index.js';
import { planExperiment } from './internal.js';

const codeOf = async (f: () => unknown) => {
  try {
    await f();
    return 'no error';
  } catch (e) {
    return isFaultlineError(e) ? e.code : String(e);
  }
};

describe('registry', () => {
  it('registers packs by kind; a duplicate kind is an error; an unknown kind lists what exists', async () => {
    const r = new Registry().register(pack);
    expect(r.faultKinds()).toContain('test/touch-files');
    r.register(pack); // same pack again: no-op
    const clash = definePack({ name: 'other', faults: [touchFiles] });
    expect(await codeOf(() => r.register(clash))).toBe('FL_DUPLICATE_KIND');
    expect(() => r.fault('test/nope')).toThrow(
      /registered: test\/flaky-revert, test\/noop, test\/touch-files/,
    );
  });
  it('the same probe definition brought by a second pack is a no-op; another definition of its kind is not', async () => {
    const r = new Registry().register(pack);
    r.register(definePack({ name: 'reuses-a-probe', probes: [pathExists] }));
    expect(r.probe('test/path-exists').pack).toBe(pack.name);
    expect(r.hasPack('reuses-a-probe')).toBe(true);
    const lookalike = defineProbe({ ...pathExists });
    const clash = definePack({ name: 'redefines-a-probe', probes: [lookalike] });
    expect(await codeOf(() => r.register(clash))).toBe('FL_DUPLICATE_KIND');
  });
  it('a health check whose probe kind its pack does not provide names the fault and the pack', () => {
    // the fault's pack without the probe its health check uses: the pack contract is broken
    const broken = definePack({ name: 'pack-without-its-probe', faults: [touchFiles] });
    const spec = experiment('x')
      .fault(faultRef(touchFiles, { dir: '/tmp' }), { id: 'files' })
      .build();
    let err: unknown;
    try {
      planExperiment(spec, new Registry().register(broken));
    } catch (e) {
      err = e;
    }
    expect(isFaultlineError(err, 'FL_UNKNOWN_KIND')).toBe(true);
    const message = (err as Error).message;
    expect(message).toContain("fault 'files' (test/touch-files)");
    expect(message).toContain("'test/path-exists'");
    expect(message).toContain("pack 'pack-without-its-probe' should provide it");
    expect((err as { details?: unknown }).details).toMatchObject({
      kind: 'test/path-exists',
      fault: 'test/touch-files',
      pack: 'pack-without-its-probe',
    });
    // with the pack that carries it, the same spec plans
    expect(() => planExperiment(spec, new Registry().register(pack))).not.toThrow();
  });
  it('tunables get their defaults and bad ones are FL_TUNABLES naming the field', () => {
    const ref = faultRef(touchFiles, { dir: '/tmp' });
    const plan = planExperiment(experiment('x').fault(ref).build(), new Registry().register(pack));
    expect(plan.steps[0]!.faults[0]!.tunables).toMatchObject({ dir: '/tmp', count: 1 });
    expect(() => faultRef(touchFiles, { dir: '/tmp', count: 0 })).toThrow(/count: Invalid value/);
  });
});

describe('builder and spec', () => {
  it('serial steps and parallel groups become plain JSON that round-trips unchanged', () => {
    const spec = experiment('round trip')
      .description('d')
      .label('team', 'payments')
      .fault(faultRef(touchFiles, { dir: '/tmp' }), { weight: 8, duration: '30s', rampTime: '1s' })
      .parallel(
        [faultRef(touchFiles, { dir: '/tmp', count: 2 }), { weight: 4 }],
        faultRef(touchFiles, { dir: '/var/tmp' }),
      )
      .build();
    expect(spec.spec.steps.map((s) => s.faults.map((f) => f.id))).toEqual([
      ['touch-files'],
      ['touch-files-2', 'touch-files-3'],
    ]);
    expect(JSON.parse(JSON.stringify(spec))).toEqual(spec);
    const registry = new Registry().register(pack);
    expect(planExperiment(JSON.parse(JSON.stringify(spec)), registry).spec).toEqual(
      planExperiment(spec, registry).spec,
    );
  });
  it('step ids are unique and short (they name kernel objects)', async () => {
    const b = experiment('x').fault(faultRef(touchFiles, { dir: '/tmp' }), { id: 'a' });
    expect(await codeOf(() => b.fault(faultRef(touchFiles, { dir: '/tmp' }), { id: 'a' }))).toBe('FL_SPEC');
    expect(
      await codeOf(() =>
        experiment('y')
          .fault(faultRef(touchFiles, { dir: '/tmp' }), { id: 'Has Space' })
          .build(),
      ),
    ).toBe('FL_SPEC');
  });
});

describe('hubs', () => {
  it('every pack is a hub: its templates and one per fault kind', async () => {
    const hub = packHub(pack);
    const names = (await hub.list()).map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['ten-files', 'touch-files', 'noop', 'flaky-revert']));
    expect(await codeOf(() => hub.get('missing'))).toBe('FL_HUB');
  });
  it('folderHub loads JSON templates; overrides are validated when the template goes into an experiment', async () => {
    const dir = await tempDir();
    await writeFile(
      join(dir, 'files.json'),
      JSON.stringify([
        {
          name: 'many-files',
          kind: 'test/touch-files',
          description: 'many',
          tunables: { dir: '/tmp', count: 50 },
        },
      ]),
    );
    await writeFile(join(dir, 'notes.txt'), 'ignored');
    const hub = folderHub(dir);
    const registry = new Registry().register(pack);
    const t = await hub.get('many-files');
    const input = fromTemplate(t, registry, { count: 7 });
    expect(input.tunables).toEqual({ dir: '/tmp', count: 7 });
    expect(await codeOf(() => fromTemplate(t, registry, { count: 5000 }))).toBe('FL_TUNABLES');
    const spec = experiment('from hub').fault(input).build();
    expect(planExperiment(spec, registry).steps[0]!.faults[0]!.tunables).toMatchObject({ count: 7 });
    await mkdir(join(dir, 'bad'));
    await writeFile(join(dir, 'bad', 'x.json'), '{ not json');
    expect(await codeOf(() => folderHub(join(dir, 'bad')).list())).toBe('FL_HUB');
    expect(await codeOf(() => folderHub(join(dir, 'absent')).list())).toBe('FL_HUB');
  });
});
