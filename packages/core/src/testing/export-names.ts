import { expect } from 'vitest';

/**
 * Asserts that a module exports exactly `expectedNames` (its runtime values; types leave no trace),
 * so a package's API grows only on purpose: a test lists the names, and adding an export fails it
 * until the list is updated too.
 *
 * ```ts
 * expectExportNames(await import('@faultline/core'), ['createRuntime', 'experiment', ...]);
 * ```
 */
export function expectExportNames(moduleNamespace: object, expectedNames: readonly string[]): void {
  expect(
    Object.keys(moduleNamespace).sort(),
    'the export names changed: if that is on purpose, update the list in this test',
  ).toEqual([...expectedNames].sort());
}
