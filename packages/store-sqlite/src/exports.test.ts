// The names @faultline/store-sqlite exports (runtime values), imported by the package's own name so
// the `exports` map is what is tested. A new export fails this test until it is added here too.
import { expectExportNames } from '@faultline/core/testing';
import { it } from 'vitest';

it('@faultline/store-sqlite exports exactly these names', async () => {
  expectExportNames(await import('@faultline/store-sqlite'), [
    'SCHEMA_VERSION',
    'SqliteJournal',
    'SqliteStore',
    'sqliteJournal',
    'sqliteStore',
  ]);
});
