// A fresh process that reverts one injection from its journal facts alone: the contract's proof that
// a sentinel, a supervisor or a host after reboot can undo what a dead process injected.
import type { FaultDefinition, Pack } from '../model.js';
import type { FreshRevertRequest } from './fresh-process.js';
import { revertContext } from './inject-context.js';

async function main(): Promise<void> {
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  const req = JSON.parse(input) as FreshRevertRequest;
  const mod = (await import(req.pack)) as { pack?: Pack; default?: Pack };
  const pack = mod.pack ?? mod.default;
  const fault = pack?.faults?.find((f) => f.kind === req.kind) as FaultDefinition<any, any> | undefined;
  if (!fault) throw new Error(`pack '${req.pack}' has no fault '${req.kind}'`);
  const ctx = revertContext(req);
  await fault.revert(req.receipt, ctx);
  const present = req.checkPresent && fault.present ? await fault.present(req.receipt, ctx) : undefined;
  process.stdout.write(`${JSON.stringify(present === undefined ? { ok: true } : { ok: true, present })}\n`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stdout.write(
      `${JSON.stringify({ ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) })}\n`,
    );
    process.exit(1);
  },
);
