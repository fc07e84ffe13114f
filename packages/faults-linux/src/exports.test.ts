// The public API of @faultline/faults-linux, name by name: it grows only on purpose (add the name
// here, with its TSDoc, in the same change).
import { expectExportNames } from '@faultline/core/testing';
import { it } from 'vitest';

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
    'measurePingLoss',
    'measureTcpTransfer',
    'measureUdpLoss',
    'pairSetup',
    'tcpConnect',
    'tcpServer',
    'waitForLine',
    'withNetnsPair',
  ]);
});
