// Network faults that behave like the real failures, measured the way people check them. As root,
// inside a pair of network namespaces it makes and removes:
//
//   npx tsx --conditions=@faultline/source examples/network-fidelity.ts
//
// One experiment, two faults at once on the client's link: 50 % loss towards the server (silent, as
// on a real wire: ping sees it), and a 1 mbit cap on one server port only (SSH and every other port
// untouched); each scored by its default health check. While they run, the script pings and times
// two TCP transfers, then shows that nothing is left behind.
import { mkdtemp, rm } from 'node:fs/promises';
import { createRuntime, experiment } from '@faultline/core';
import linuxPack, { linux, scanLeftovers } from '@faultline/faults-linux';
import { makeNetnsPair, measurePingLoss, measureTcpTransfer } from '@faultline/faults-linux/testing';

/** Runs the experiment; returns what was measured during it, its verdict and what was left. */
export async function main() {
  const pair = await makeNetnsPair({ prefix: 'nfid' });
  const stateDir = await mkdtemp('/tmp/faultline-example-');
  const runtime = await createRuntime({ packs: [linuxPack], stateDir, signals: false });
  try {
    const other = pair.ipB.replace(/\.2$/, '.3'); // a second server address: not targeted by the loss
    await pair.exec(pair.b, 'ip', ['addr', 'add', `${other}/24`, 'dev', pair.vethB]);
    const spec = experiment('a lossy link and one throttled port')
      .parallel(
        [
          linux.networkLoss({ percent: 50, namespace: pair.a, destinationIps: [pair.ipB] }),
          { id: 'loss', duration: '4s' },
        ],
        [
          linux.networkRateLimit({
            rate: '1mbit',
            namespace: pair.a,
            destinationIps: [other],
            destinationPorts: [5301],
          }),
          { id: 'slow-port', duration: '4s' },
        ],
      )
      .build();
    const run = runtime.run(spec);
    let injected = 0;
    const measured = (async () => {
      for await (const ev of run.events) if (ev.type === 'fault.injected' && ++injected === 2) break;
      const bytes = 64 * 1024;
      const [ping, slow, fast] = await Promise.all([
        measurePingLoss(pair, { from: pair.a, host: pair.ipB, count: 300 }),
        measureTcpTransfer(pair, { from: pair.a, to: pair.b, host: other, port: 5301, bytes }),
        measureTcpTransfer(pair, { from: pair.a, to: pair.b, host: other, port: 5302, bytes }),
      ]);
      return { ping, slowPortMs: slow.ms, otherPortMs: fast.ms };
    })();
    const [m, result] = await Promise.all([measured, run.result]);
    console.log(
      `ping through 50 % loss: ${m.ping.lossPercent.toFixed(1)} % lost, ${m.ping.errors} send errors (silent)`,
    );
    console.log(
      `64 KiB to port 5301 (capped at 1 mbit): ${m.slowPortMs} ms; to port 5302: ${m.otherPortMs} ms`,
    );
    console.log(`verdict ${result.verdict}`);
    return { ...m, verdict: result.verdict, reverts: result.reverts };
  } finally {
    await runtime.close();
    await pair.destroy();
    await rm(stateDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.getuid?.() !== 0) {
    console.error('This example injects real faults into namespaces it makes: run it as root.');
    process.exit(1);
  }
  await main();
  const left = await scanLeftovers();
  console.log(left.length ? `LEFT BEHIND: ${JSON.stringify(left)}` : 'left behind: nothing');
}
