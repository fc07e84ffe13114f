// The demo: a real experiment, as root, inside a pair of network namespaces it makes and removes.
//
//   npm run demo
//
// A small HTTP server runs in namespace "server"; a client namespace reaches it over a veth pair.
// faultline injects 30 % packet loss on the client's link and a CPU stress in parallel, probes the
// server from the client while the chaos runs, prints the events as they stream and the score, and
// shows that nothing is left behind.
import { createRuntime, experiment, type FaultlineEvent } from '@faultline/core';
import linuxPack, { linux, scanLeftovers } from '@faultline/faults-linux';
import { makeNetnsPair, waitForLine } from '@faultline/faults-linux/testing';
import probesPack, { cmd } from '@faultline/probes';

if (process.platform !== 'linux' || process.getuid?.() !== 0) {
  console.error(
    'The demo injects real faults into network namespaces it makes: run it as root on Linux (sudo npm run demo).',
  );
  process.exit(1);
}

const SERVER = `require('node:http').createServer((q, s) => s.end('ok\\n')).listen(8080, process.argv[1], () => console.log('ready'))`;

const pair = await makeNetnsPair({ prefix: 'demo' });
try {
  const server = pair.spawn(pair.b, process.execPath, ['-e', SERVER, pair.ipB]);
  await waitForLine(server, /ready/);
  const url = `http://${pair.ipB}:8080/`;
  console.log(`namespaces ${pair.a} (client, ${pair.ipA}) and ${pair.b} (server, ${url})\n`);

  const runtime = await createRuntime({ packs: [linuxPack, probesPack] });
  const probe = cmd(['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '0.4', url])
    .namespace(pair.a)
    .expectStdout('equal', '200')
    .name('the client gets 200 within 400 ms')
    .mode('Continuous')
    .every('250ms')
    .timeout('2s');
  const spec = experiment('the web server answers through a lossy link and a busy CPU')
    .parallel(
      [
        linux.networkLoss({
          percent: 30,
          namespace: pair.a,
          interfaces: [pair.vethA],
          destinationIps: [pair.ipB],
        }),
        { id: 'loss', weight: 8, duration: '5s', probes: [probe] },
      ],
      [linux.cpuStress({ load: 50, workers: 1 }), { id: 'cpu', weight: 4, duration: '5s' }],
    )
    .build();

  const run = runtime.run(spec);
  for await (const ev of run.events) console.log(describe(ev));
  const result = await run.result;
  console.log(`\nverdict ${result.verdict}, resilience score ${result.score}`);
  for (const f of result.faults)
    console.log(
      `  ${f.stepId.padEnd(5)} ${f.kind.padEnd(20)} weight ${f.weight}  probe success ${f.probeSuccess.toFixed(0)} %`,
    );
  await runtime.close();
} finally {
  await pair.destroy();
}
const left = await scanLeftovers();
console.log(
  left.length
    ? `\nLEFT BEHIND: ${JSON.stringify(left, null, 2)}`
    : '\nleft behind: nothing (nft tables, qdiscs, cgroups, processes, files all checked)',
);
process.exitCode = left.length ? 1 : 0;

function describe(e: FaultlineEvent): string {
  const at = `${String(e.seq).padStart(3)} ${e.ts.slice(11, 23)}`;
  switch (e.type) {
    case 'fault.injected':
      return `${at} ${e.type.padEnd(16)} ${e.stepId} (${e.kind}) in ${e.ms} ms`;
    case 'probe.result':
      return `${at} ${e.type.padEnd(16)} ${e.stepId}: ${e.probe} ${e.passed ? 'passed' : 'FAILED'}${e.passed ? '' : ` (${e.message ?? ''})`}`;
    case 'fault.reverted':
      return `${at} ${e.type.padEnd(16)} ${e.stepId} in ${e.ms} ms`;
    case 'log':
      return `${at} log ${e.level.padEnd(11)} ${e.stepId ?? ''} ${e.message}`;
    case 'run.finished':
      return `${at} ${e.type.padEnd(16)} ${e.verdict}`;
    default:
      return `${at} ${e.type.padEnd(16)} ${'stepId' in e ? e.stepId : ''}`;
  }
}
