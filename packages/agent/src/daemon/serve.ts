import { readFileSync } from 'node:fs';
import { serveAgent } from '../server/serve.js';
import { type AgentConfig, readToken } from './config.js';
import { agentRuntime, describeRecovery, SUPERVISED_ENV } from './runtime.js';

const say = (line: string) => process.stdout.write(`faultline-agent: ${line}\n`);

/**
 * The agent process: recovers, serves, and on SIGTERM/SIGINT/SIGHUP aborts every run, waits until
 * each is reverted, closes the journal and exits 0. Resolves once it is serving.
 */
export async function serveDaemon(cfg: AgentConfig, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const token = readToken(cfg, env);
  const supervised = env[SUPERVISED_ENV] === '1';
  const runtime = await agentRuntime(cfg, { supervised }, env);
  if (runtime.recovery) say(describeRecovery(runtime.recovery));
  const served = await serveAgent({
    runtime,
    token,
    hostname: cfg.hostname,
    port: cfg.port,
    lease: { heartbeat: cfg.heartbeat, expiry: cfg.lease },
    maxActiveRuns: cfg.maxActiveRuns,
    maxBodyBytes: cfg.maxBodyBytes,
    ...(cfg.id ? { id: cfg.id } : {}),
    ...(cfg.tls ? { tls: { key: readFileSync(cfg.tls.key), cert: readFileSync(cfg.tls.cert) } } : {}),
  });
  let stopping = false;
  const stop = async (sig: NodeJS.Signals) => {
    if (stopping) return say(`${sig} again: still reverting, the agent exits once every fault is reverted`);
    stopping = true;
    say(`${sig}: aborting ${served.app.activeRuns} run(s) and reverting their faults`);
    try {
      await served.close(`the agent received ${sig}`);
      await runtime.close();
    } finally {
      say('stopped');
      process.exit(0);
    }
  };
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, (s) => void stop(s));
  say(`listening on ${served.url} (pid ${process.pid}${supervised ? ', supervised' : ''})`);
}
