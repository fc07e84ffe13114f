// The public API of @faultline/faults-linux, name by name: it grows only on purpose (add the name
// here, with its TSDoc, in the same change).
import { expect, it } from 'vitest';

// TODO(merge): @faultline/core/testing's expectExportNames replaces this local copy
function expectExportNames(moduleNamespace: object, expectedNames: readonly string[]): void {
  expect(Object.keys(moduleNamespace).sort()).toEqual([...expectedNames].sort());
}

it('@faultline/faults-linux exports exactly these names', async () => {
  expectExportNames(await import('@faultline/faults-linux'), [
    'default',
    'doctor',
    'faults',
    'formatDoctor',
    'hostReachable',
    'hostReachableProbe',
    'infraResponsive',
    'infraResponsiveProbe',
    'linux',
    'pack',
    'processAlive',
    'processAliveProbe',
    'scanLeftovers',
  ]);
});

it('@faultline/faults-linux/testing exports exactly these names', async () => {
  expectExportNames(await import('@faultline/faults-linux/testing'), [
    'assertNoLeftovers',
    'faultCtx',
    'makeNetnsPair',
    'measureUdpLoss',
    'pairSetup',
    'tcpConnect',
    'tcpServer',
    'waitForLine',
    'withNetnsPair',
  ]);
});
