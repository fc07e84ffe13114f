// The public API of @faultline/probes, name by name: it grows only on purpose (add the name here,
// with its TSDoc, in the same change).
import { expectExportNames } from '@faultline/core/testing';
import { it } from 'vitest';

it('@faultline/probes exports exactly these names', async () => {
  expectExportNames(await import('@faultline/probes'), [
    'CmdProbeBuilder',
    'HTTP_METHODS',
    'HttpProbeBuilder',
    'ProbeBuilder',
    'PrometheusProbeBuilder',
    'TcpProbeBuilder',
    'cmd',
    'cmdProbe',
    'cmdTunables',
    'default',
    'http',
    'httpProbe',
    'httpTunables',
    'numberComparator',
    'numberComparatorSchema',
    'pack',
    'parseJsonPath',
    'prometheus',
    'prometheusProbe',
    'prometheusTunables',
    'readJsonPath',
    'stringComparator',
    'stringComparatorSchema',
    'tcp',
    'tcpProbe',
    'tcpTunables',
  ]);
});
