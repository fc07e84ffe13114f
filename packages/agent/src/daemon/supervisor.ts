import { type ChildProcess, spawn } from 'node:child_process';
import { sleep } from '@faultline/core/internal';
import { type AgentConfig, EX_CONFIG, readToken } from './config.js';
import { describeRecovery, recoverOnce, SUPERVISED_ENV } from './runtime.js';

const say = (line: string) => process.stdout.write(`faultline-agent supervisor: ${line}\n`);

/** Restart backoff: from 100 ms, doubling to 10 s; a child that ran 10 s resets it. */
const BACKOFF = { firstMs: 100, maxMs: 10_000, healthyAfterMs: 10_000 };

/**
 * `faultline-agent --supervise`: runs the agent as a child process. Before the first start (at boot,
 * this reverts the remnants of the previous one) and after every exit it did not ask for, it runs
 * `recover()` on the agent's journal — so a crashed agent's faults are reverted before a new agent
 * serves — then restarts it with backoff. SIGTERM/SIGINT/SIGHUP go to the child, which reverts and
 * exits; then the supervisor exits with it. Resolves with the exit status.
 */
export async function supervise(cfg: AgentConfig, argv: string[]): Promise<number> {
  readToken(cfg); // a config error stops here, not in a restart loop
  const childArgs = [...process.execArgv, process.argv[1]!, ...argv.filter((a) => a !== '--supervise')];
  let child: ChildProcess | undefined;
  let stopping: NodeJS.Signals | undefined;
  let recovering = false;
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const)
    process.on(sig, () => {
      stopping = sig;
      if (child?.exitCode === null && child.signalCode === null) child.kill(sig);
      // a recovery under way finishes its reverts first; the loop then sees `stopping`
      else if (!recovering) process.exit(0);
    });

  await recoverNow('before the first start');
  if (stopping) return 0;
  for (let backoff = BACKOFF.firstMs; ; ) {
    const startedAt = Date.now();
    child = spawn(process.execPath, childArgs, {
      stdio: 'inherit',
      env: { ...process.env, [SUPERVISED_ENV]: '1' },
    });
    say(`started the agent (pid ${child.pid})`);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
      child!.once('exit', (c, s) => resolve([c, s]));
      child!.once('error', () => resolve([1, null]));
    });
    if (stopping) {
      say(`the agent stopped (${signal ?? `exit ${code}`}) after ${stopping}`);
      return code ?? 0;
    }
    if (code === EX_CONFIG) {
      say('the agent refused its configuration: not restarting it');
      return EX_CONFIG;
    }
    say(`the agent exited (${signal ?? `exit ${code}`}) without being asked to`);
    await recoverNow('after the crash');
    if (stopping) return 0;
    if (Date.now() - startedAt >= BACKOFF.healthyAfterMs) backoff = BACKOFF.firstMs;
    say(`restarting it in ${backoff} ms`);
    await sleep(backoff);
    backoff = Math.min(backoff * 2, BACKOFF.maxMs);
    if (stopping) return 0;
  }

  async function recoverNow(when: string): Promise<void> {
    // a failure to open the journal must not leave an agent serving over remnants: retry until it works
    for (let attempt = 1; ; attempt++) {
      recovering = true;
      try {
        say(`${when}: ${describeRecovery(await recoverOnce(cfg))}`);
        return;
      } catch (e) {
        if (stopping) return;
        say(`${when}: recovery failed (attempt ${attempt}): ${(e as Error).message}; retrying`);
        await sleep(Math.min(1000 * attempt, 10_000));
      } finally {
        recovering = false;
      }
    }
  }
}
