// The names each entry point of @faultline/core exports (its runtime values; types leave no trace),
// imported by the package's own name so the `exports` map is what is tested. A new export fails this
// test until it is added here too: the API grows only on purpose.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { expectExportNames } from './testing.js';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

/** Every source file of the repository outside packages/core (no node_modules, no dist). */
function sourcesOutsideCore(dir = repoRoot): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const path = join(dir, d.name);
    if (d.isDirectory())
      return ['node_modules', 'dist', '.git'].includes(d.name) || path === join(repoRoot, 'packages/core')
        ? []
        : sourcesOutsideCore(path);
    return /\.(ts|mts|js|mjs)$/.test(d.name) ? [path] : [];
  });
}

describe('@faultline/core exports', () => {
  it('the root: what a user calls', async () => {
    expectExportNames(await import('@faultline/core'), [
      'ERROR_CODES',
      'ExperimentBuilder',
      'FaultlineError',
      'FileJournal',
      'MemoryJournal',
      'OBJECT_PREFIX',
      'Registry',
      'comparatorSchema',
      'compare',
      'createRuntime',
      'defaultJournalPath',
      'defaultStateDir',
      'defineFault',
      'definePack',
      'defineProbe',
      'durationSchema',
      'experiment',
      'faultRef',
      'folderHub',
      'formatDuration',
      'fromTemplate',
      'isFaultlineError',
      'objectName',
      'openFileJournal',
      'packHub',
      'parseDuration',
      'parsePercent',
      'parseSize',
      'parseTunables',
      'percentSchema',
      'silentLogger',
      'sizeSchema',
    ]);
  });

  it('internal: what faultline’s own packages need besides', async () => {
    expectExportNames(await import('@faultline/core/internal'), [
      'DEFAULT_RETRY',
      'EventLog',
      'EventStream',
      'Guard',
      'HANDLED_SIGNALS',
      'JOURNAL_RESERVE_BYTES',
      'NUMBER_CRITERIA',
      'PROBE_MODES',
      'STEP_ID',
      'STRING_CRITERIA',
      'UNFINISHED_STATES',
      'entryId',
      'errorToJSON',
      'experimentSpecSchema',
      'faultStepSchema',
      'isAlive',
      'isJson',
      'locatorOf',
      'makeLogger',
      'nodePlatform',
      'parseNdjson',
      'planExperiment',
      'probeSpecSchema',
      'probeSuccess',
      'readProcStat',
      'recover',
      'resilienceScore',
      'revertEntry',
      'runPropertiesSchema',
      'sleep',
      'startRun',
      'stepSchema',
      'toProbeSpec',
      'verdictOf',
      'withBootId',
    ]);
  });

  it('testing: contract suites and test helpers', async () => {
    expectExportNames(await import('@faultline/core/testing'), [
      'canMount',
      'expectExportNames',
      'failingJournal',
      'faultContract',
      'fillUntilFull',
      'injectContext',
      'journalContract',
      'mountSmallTmpfs',
      'packContract',
      'planHealthCheck',
      'revertContext',
      'revertInFreshProcess',
      'runProbe',
      'sampleJournalEntry',
    ]);
  });

  it('root and internal share no name: each thing has one entry point', async () => {
    const internal = new Set(Object.keys(await import('@faultline/core/internal')));
    const both = Object.keys(await import('@faultline/core')).filter((n) => internal.has(n));
    expect(both, 'exported from both the root and internal').toEqual([]);
  });

  it('no other package, bench, example or script reaches into core past its entry points', () => {
    // a module specifier naming core's files: a deep @faultline/core path, or a relative path into packages/core
    const deep =
      /['"](@faultline\/core\/(?!(internal|testing)['"])[^'"]*|(\.\.?\/)+(packages\/)?core\/[^'"]*)['"]/;
    const offenders = sourcesOutsideCore().filter((f) => deep.test(readFileSync(f, 'utf8')));
    expect(offenders, 'import @faultline/core, @faultline/core/internal or @faultline/core/testing').toEqual(
      [],
    );
  });
});
