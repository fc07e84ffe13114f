import * as v from 'valibot';
import { FaultlineError } from './errors.js';

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const SIZE_UNITS: Record<string, number> = {
  b: 1,
  k: 1000,
  kb: 1000,
  kib: 1024,
  m: 1000 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1000 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
  t: 1000 ** 4,
  tb: 1000 ** 4,
  tib: 1024 ** 4,
};

/** A duration as the specs write it: `'250ms'`, `'30s'`, `'2m'`, `'1h'`, `'1m30s'`, or a number of milliseconds. */
export type DurationInput = string | number;
/** A size as the specs write it: `'512MiB'`, `'1GB'`, `'4k'`, or a number of bytes. */
export type SizeInput = string | number;

/** Parses a duration into milliseconds. Throws `FL_DURATION` with the accepted forms. */
export function parseDuration(input: DurationInput): number {
  if (typeof input === 'number') {
    if (Number.isFinite(input) && input >= 0) return input;
    throw new FaultlineError('FL_DURATION', `duration ${input} must be a finite number of milliseconds >= 0`);
  }
  const known = parsedDurations.get(input);
  if (known !== undefined) return known;
  const s = input.trim();
  const parts = s.match(/^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/) ? s.match(/\d+(?:\.\d+)?(?:ms|s|m|h)/g) : null;
  if (!parts) {
    throw new FaultlineError(
      'FL_DURATION',
      `'${input}' is not a duration: write a number and a unit, e.g. '250ms', '30s', '2m', '1h', '1m30s'`,
    );
  }
  let ms = 0;
  for (const p of parts) {
    const [, n, unit] = p.match(/^(\d+(?:\.\d+)?)(ms|s|m|h)$/)!;
    ms += Number(n) * DURATION_UNITS[unit!]!;
  }
  const result = Math.round(ms);
  if (parsedDurations.size >= 512) parsedDurations.clear();
  parsedDurations.set(input, result);
  return result;
}

/** A spec names the same few durations for every fault and probe, on every run: each is parsed once. */
const parsedDurations = new Map<string, number>();

/** Parses a size into bytes (SI and IEC units, case-insensitive). Throws `FL_DURATION`. */
export function parseSize(input: SizeInput): number {
  if (typeof input === 'number') {
    if (Number.isInteger(input) && input >= 0) return exactSize(input, input);
    throw new FaultlineError('FL_DURATION', `size ${input} must be a whole number of bytes >= 0`);
  }
  const m = input.trim().match(/^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/);
  const unit = m ? (m[2] ?? '').toLowerCase() || 'b' : undefined;
  const factor = unit === undefined ? undefined : SIZE_UNITS[unit];
  if (!m || factor === undefined) {
    throw new FaultlineError(
      'FL_DURATION',
      `'${input}' is not a size: write a number and a unit, e.g. '512MiB', '1GB', '4k', '100b'`,
    );
  }
  return exactSize(Math.round(Number(m[1]) * factor), input);
}

/** Past 2^53 bytes (8 PiB) a number no longer counts single bytes: no real size is that large. */
function exactSize(bytes: number, input: SizeInput): number {
  if (Number.isSafeInteger(bytes)) return bytes;
  throw new FaultlineError(
    'FL_DURATION',
    `size ${String(input)} is larger than 8 PiB (2^53 bytes): not a real size`,
  );
}

/** Parses a percent (`30`, `'30'`, `'30%'`, `'12.5%'`) into a number 0..100. Throws `FL_DURATION`. */
export function parsePercent(input: string | number): number {
  const n = typeof input === 'number' ? input : Number(input.trim().replace(/%$/, ''));
  if (typeof input === 'string' && !/^\s*\d+(?:\.\d+)?\s*%?\s*$/.test(input)) {
    throw new FaultlineError('FL_DURATION', `'${input}' is not a percent: write e.g. 30 or '30%'`);
  }
  if (!Number.isFinite(n) || n < 0 || n > 100) {
    throw new FaultlineError('FL_DURATION', `percent ${input} is out of range: it must be between 0 and 100`);
  }
  return n;
}

/** Formats milliseconds the way specs write them (`1500` → `'1500ms'`, `30000` → `'30s'`). */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0 && ms > 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

function checked<T>(parse: (x: T) => unknown): (x: T) => boolean {
  return (x) => {
    try {
      parse(x);
      return true;
    } catch {
      return false;
    }
  };
}

/** A valibot schema for a duration tunable; the output stays as written (JSON-safe), read it with {@link parseDuration}. */
export const durationSchema = () =>
  v.pipe(
    v.union([v.string(), v.number()]),
    v.check(
      checked(parseDuration),
      (i) => `'${String(i.input)}' is not a duration (e.g. '250ms', '30s', '2m')`,
    ),
    // a spec's durations become timers: node fires a longer setTimeout at once, so a window of
    // '1000h' would end the moment it began. (Durations that are no timer, such as a store's
    // retention, are parsed with parseDuration and have no such bound.)
    v.check(
      // an unparsable one is the check above's to report
      (d) => !checked(parseDuration)(d) || parseDuration(d) <= MAX_TIMER_MS,
      (i) =>
        `duration ${String(i.input)} is longer than 24 days (${MAX_TIMER_MS} ms), the longest a timer can wait`,
    ),
  );

/** The longest a timer can wait: 2^31 - 1 ms, 24.8 days. */
const MAX_TIMER_MS = 2_147_483_647;

/** A valibot schema for a size tunable; read it with {@link parseSize}. */
export const sizeSchema = () =>
  v.pipe(
    v.union([v.string(), v.number()]),
    v.check(checked(parseSize), (i) => `'${String(i.input)}' is not a size (e.g. '512MiB', '1GB')`),
  );

/** A valibot schema for a percent 0..100 (number or `'30%'`); read it with {@link parsePercent}. */
export const percentSchema = () =>
  v.pipe(
    v.union([v.string(), v.number()]),
    v.check(checked(parsePercent), (i) => `${String(i.input)} is not a percent between 0 and 100`),
  );
