// Run inside a systemd container by service-restart.systemd.test.ts: linux/service-restart where PID 1
// is systemd (a host booted with systemd — the common case), with no managerPid. Prints one JSON line:
// what check() said, the receipt, and whether revert went through.
//
//   node --conditions=@faultline/source --import tsx service-restart-inside.ts '<tunables as JSON>'
import { injectContext } from '@faultline/core/testing';
import { serviceRestart } from '../src/service-restart.js';

const ctx = injectContext(serviceRestart, JSON.parse(process.argv[2] ?? '{}'), {
  runId: 'flcinside',
  stepId: 'svc',
  stateDir: '/tmp',
});
const check = await serviceRestart.check!({ signal: ctx.signal, log: ctx.log, tunables: ctx.tunables });
const receipt = await serviceRestart.inject(ctx);
await serviceRestart.revert(receipt, ctx);
process.stdout.write(`${JSON.stringify({ check, receipt, reverted: true })}\n`);
