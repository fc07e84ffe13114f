import type { JsonObject } from './json.js';
import type { Logger, LogLevel } from './model.js';

/** A Logger over one function. */
export function makeLogger(write: (level: LogLevel, message: string, data?: JsonObject) => void): Logger {
  return {
    debug: (m, d) => write('debug', m, d),
    info: (m, d) => write('info', m, d),
    warn: (m, d) => write('warn', m, d),
    error: (m, d) => write('error', m, d),
  };
}

/** Drops everything. */
export const silentLogger: Logger = makeLogger(() => {});
