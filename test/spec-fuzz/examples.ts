// One valid set of tunables for every fault and probe kind of the repository's packs: the seeds the
// fuzz test mutates into near-valid input. A kind without one fails the test, so a new fault cannot
// skip the fuzzing; an example that stops validating (a tunable renamed) fails it too.
import type { JsonObject } from '@faultline/core';

/** Valid tunables by kind. Targets that exist nowhere (pid 4242, 10.0.0.7): nothing is ever injected. */
export const EXAMPLES: Record<string, JsonObject> = {
  'linux/cpu-stress': { load: 50, workers: 1, cpus: '0', maxDuration: '10s' },
  'linux/memory-stress': { size: '64MiB', workers: 1, maxDuration: '10s' },
  'linux/disk-io-stress': { path: '/tmp', size: '16MiB', workers: 1, safetyFloor: '1GiB' },
  'linux/disk-fill': { path: '/tmp', size: '4MiB', safetyFloor: '256MiB', blockSize: '1MiB' },
  'linux/fs-fill': { path: '/tmp', percent: 50 },
  'linux/process-kill': { pids: [4242], signal: 'SIGTERM' },
  'linux/process-pause': { pids: [4242], method: 'signal' },
  'linux/service-restart': { services: ['nginx.service'], mode: 'serial', gap: '1s' },
  'linux/network-loss': {
    percent: 30,
    interfaces: ['eth0'],
    destinationIps: ['10.0.0.7'],
    destinationPorts: [80],
    protocol: 'tcp',
    namespace: 'ns1',
  },
  'linux/network-partition': { interfaces: ['eth0'], destinationIps: ['10.0.0.0/8'] },
  'linux/network-port-block': { interfaces: ['eth0'], destinationPorts: [80], protocol: 'tcp' },
  'linux/network-rate-limit': { rate: '1mbit', interfaces: ['eth0'], latency: '400ms' },
  'linux/network-latency': { latency: '100ms', interfaces: ['eth0'] },
  'linux/network-jitter': { latency: '100ms', jitter: '20ms', correlation: 25, interfaces: ['eth0'] },
  'linux/network-corruption': { percent: 5, interfaces: ['eth0'] },
  'linux/network-duplication': { percent: 5, interfaces: ['eth0'] },
  'linux/dns-error': { targetHostnames: ['api.example.com'], errorCode: 'SERVFAIL' },
  'linux/dns-spoof': { spoofMap: { 'api.example.com': '10.0.0.9' } },
  // @faultline/proxy: a proxy named `db` on a control API nobody listens on (nothing is injected)
  'proxy/latency': { proxy: 'db', latency: '200ms', jitter: '20ms', distribution: 'normal' },
  'proxy/bandwidth': { proxy: 'db', rate: 100 },
  'proxy/slow-close': { proxy: 'db', delay: '1s' },
  'proxy/timeout': { proxy: 'db', timeout: '1s' },
  'proxy/reset-peer': { proxy: 'db', timeout: '10ms', toxicity: 0.5 },
  'proxy/slicer': { proxy: 'db', averageSize: 10 },
  'proxy/limit-data': { proxy: 'db', bytes: '1KiB' },
  'proxy/down': { proxy: 'db' },
  'proxy/http-status': { proxy: 'api', status: 503, path: '/api/*' },
  'proxy/http-delay': { proxy: 'api', delay: '100ms', method: 'GET' },
  'proxy/http-abort': { proxy: 'api', method: 'POST' },
  'proxy/http-body': { proxy: 'api', body: '{}' },
  'proxy/http-header': { proxy: 'api', set: { 'x-chaos': '1' } },
  'proxy/udp-loss': { proxy: 'dns', percent: 30 },
  'proxy/udp-duplicate': { proxy: 'dns', percent: '10%' },
  'probe/proxy-up': { proxy: 'db' },
  'probe/http': {
    url: 'http://127.0.0.1:8080/health',
    responseTimeout: '2s',
    expect: {
      status: { type: 'int', criteria: 'between', value: [200, 299] },
      json: { path: '$.status', comparator: { type: 'string', criteria: 'matches', value: '^up$' } },
    },
  },
  'probe/cmd': { command: ['true'] },
  'probe/tcp': { host: '127.0.0.1', port: 22 },
  'probe/prometheus': {
    endpoint: 'http://127.0.0.1:9090',
    query: 'up',
    value: { type: 'float', criteria: '>=', value: 1 },
  },
  'probe/host-reachable': { host: '10.0.0.7' },
  'probe/process-alive': { pid: 4242 },
  'probe/infra-responsive': {},
};
