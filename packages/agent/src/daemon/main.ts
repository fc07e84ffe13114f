import { VERSION } from '../version.js';
import { ConfigError, EX_CONFIG, parseConfig, USAGE } from './config.js';
import { describeRecovery, recoverOnce } from './runtime.js';
import { serveDaemon } from './serve.js';
import { supervise } from './supervisor.js';
import { systemdUnit } from './unit.js';

/**
 * `faultline-agent`: serve (optionally supervised), `recover`, `unit`. Resolves with the exit status
 * for the commands that end; `serve` resolves once listening and keeps the process alive.
 */
export async function main(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<number | undefined> {
  try {
    const cfg = parseConfig(argv, env);
    switch (cfg.command) {
      case 'help':
        process.stdout.write(USAGE);
        return 0;
      case 'version':
        process.stdout.write(`${VERSION}\n`);
        return 0;
      case 'unit':
        process.stdout.write(systemdUnit(cfg, argv.slice(1)));
        return 0;
      case 'recover': {
        const report = await recoverOnce(cfg);
        process.stdout.write(`faultline-agent: ${describeRecovery(report)}\n`);
        // reverts that failed for good are for a person (their commands are printed above), but the
        // agent may still start: it lists them, and refusing to start would hide nothing
        return 0;
      }
      default:
        if (cfg.supervise) return await supervise(cfg, argv);
        await serveDaemon(cfg, env);
        return undefined;
    }
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`faultline-agent: ${e.message}\n`);
      return EX_CONFIG;
    }
    process.stderr.write(`faultline-agent: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  }
}
