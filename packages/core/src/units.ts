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

/**
 * The longest duration faultline accepts: 2^31 − 1 ms (about 24.8 days). It is the longest delay one
 * Node timer honours — a longer one fires after 1 ms — and no chaos window, probe timeout or safety
 * stop needs more. Anything longer is refused (`FL_DURATION`, `FL_SPEC` or `FL_TUNABLES` where it was
 * written) rather than quietly shortened to nothing.
 */
export const MAX_DURATION_MS = 2 ** 31 - 1;
/**
 * The largest size faultline accepts: 2^53 − 1 bytes (8 PiB), the largest whole number a JavaScript
 * number holds exactly; past it a byte count would be rounded, and no fill or stress needs more.
 */
export const MAX_SIZE_BYTES = Number.MAX_SAFE_INTEGER;
/** Longer strings are not durations or sizes anyone writes: refused before any parsing. */
const MAX_UNIT_TEXT = 64;

/** A duration as the specs write it: `'250ms'`, `'30s'`, `'2m'`, `'1h'`, `'1m30s'`, or a number of milliseconds. */
export type DurationInput = string | number;
/** A size as the specs write it: `'512MiB'`, `'1GB'`, `'4k'`, or a number of bytes. */
export type SizeInput = string | number;

/** Options of {@link parseDuration} and {@link durationSchema}. */
export interface DurationOptions {
  /**
   * The longest accepted, in ms. Default {@link MAX_DURATION_MS}: right for anything faultline waits
   * for. A duration nothing waits on — an age, a retention (`olderThan: '720h'`) — may pass a larger one.
   */
  max?: number;
}

/**
 * Parses a duration into milliseconds, 0 to {@link MAX_DURATION_MS} (or `max`). Throws `FL_DURATION`
 * with the accepted forms, or with the bound when it is longer.
 */
export function parseDuration(input: DurationInput, opts: DurationOptions = {}): number {
  const max = opts.max ?? MAX_DURATION_MS;
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0)
      throw new FaultlineError(
        'FL_DURATION',
        `duration ${input} must be a finite number of milliseconds >= 0`,
      );
    return withinDurationBound(input, String(input), max);
  }
  if (typeof input !== 'string') throw notA('duration', input);
  const known = parsedDurations.get(input);
  if (known !== undefined) return withinDurationBound(known, `'${input}'`, max);
  if (input.length > MAX_UNIT_TEXT) throw tooLong('duration', input);
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
  // cached unbounded (each caller has its own bound); a value no number holds is never cached
  if (Number.isFinite(result)) parsedDurations.set(input, result);
  return withinDurationBound(result, `'${input}'`, max);
}

function withinDurationBound(ms: number, shown: string, max: number): number {
  if (ms <= max) return ms;
  throw new FaultlineError(
    'FL_DURATION',
    max === MAX_DURATION_MS
      ? `duration ${shown} is longer than faultline can wait: at most ${MAX_DURATION_MS} ms (about 24.8 days, the longest a Node timer honours); write a shorter one`
      : `duration ${shown} is too long: at most ${max} ms`,
  );
}

function notA(what: string, input: unknown): FaultlineError {
  return new FaultlineError(
    'FL_DURATION',
    `a ${what} is a string or a number, not ${input === null ? 'null' : Array.isArray(input) ? 'an array' : typeof input}`,
  );
}

function tooLong(what: string, input: string): FaultlineError {
  return new FaultlineError(
    'FL_DURATION',
    `'${input.slice(0, 20)}…' (${input.length} characters) is not a ${what}: a ${what} is at most ${MAX_UNIT_TEXT} characters`,
  );
}

/** A spec names the same few durations for every fault and probe, on every run: each is parsed once. */
const parsedDurations = new Map<string, number>();

/**
 * Parses a size into bytes (SI and IEC units, case-insensitive), 0 to {@link MAX_SIZE_BYTES}.
 * Throws `FL_DURATION`.
 */
export function parseSize(input: SizeInput): number {
  if (typeof input === 'number') {
    if (Number.isInteger(input) && input >= 0) return withinSizeBound(input, String(input));
    throw new FaultlineError('FL_DURATION', `size ${input} must be a whole number of bytes >= 0`);
  }
  if (typeof input !== 'string') throw notA('size', input);
  if (input.length > MAX_UNIT_TEXT) throw tooLong('size', input);
  const m = input.trim().match(/^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/);
  const unit = m ? (m[2] ?? '').toLowerCase() || 'b' : undefined;
  const factor = unit === undefined ? undefined : SIZE_UNITS[unit];
  if (!m || factor === undefined) {
    throw new FaultlineError(
      'FL_DURATION',
      `'${input}' is not a size: write a number and a unit, e.g. '512MiB', '1GB', '4k', '100b'`,
    );
  }
  return withinSizeBound(Math.round(Number(m[1]) * factor), `'${input}'`);
}

function withinSizeBound(bytes: number, shown: string): number {
  if (bytes <= MAX_SIZE_BYTES) return bytes;
  throw new FaultlineError(
    'FL_DURATION',
    `size ${shown} is too large: at most ${MAX_SIZE_BYTES} bytes (8 PiB, the largest byte count a number holds exactly)`,
  );
}

/** Parses a percent (`30`, `'30'`, `'30%'`, `'12.5%'`) into a number 0..100. Throws `FL_DURATION`. */
export function parsePercent(input: string | number): number {
  if (typeof input !== 'string' && typeof input !== 'number') throw notA('percent', input);
  if (typeof input === 'string' && input.length > MAX_UNIT_TEXT) throw tooLong('percent', input);
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

/**
 * A pipe step that runs one of the parsers above and reports its own message (which says what is
 * wrong: the form, or the bound), so a schema and a direct call never disagree.
 */
function parsedBy(parse: (x: string | number) => unknown) {
  return v.rawCheck<string | number>(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    try {
      parse(dataset.value);
    } catch (e) {
      addIssue({ message: e instanceof FaultlineError ? e.message.replace(/^FL_[A-Z_]+: /, '') : String(e) });
    }
  });
}

/**
 * A valibot schema for a duration tunable, bounded by {@link MAX_DURATION_MS} (or `max`); the output
 * stays as written (JSON-safe), read it with {@link parseDuration}.
 */
export const durationSchema = (opts: DurationOptions = {}) =>
  v.pipe(
    v.union([v.string(), v.number()]),
    parsedBy((x) => parseDuration(x, opts)),
  );

/** A valibot schema for a size tunable, bounded by {@link MAX_SIZE_BYTES}; read it with {@link parseSize}. */
export const sizeSchema = () => v.pipe(v.union([v.string(), v.number()]), parsedBy(parseSize));

/** A valibot schema for a percent 0..100 (number or `'30%'`); read it with {@link parsePercent}. */
export const percentSchema = () => v.pipe(v.union([v.string(), v.number()]), parsedBy(parsePercent));
