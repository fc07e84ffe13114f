import { type Comparator, comparatorSchema, compare, type Json } from '@faultline/core';
import * as v from 'valibot';

/** A comparator on a number (status codes, exit codes, metric values): `type` is `int` or `float`. */
export const numberComparatorSchema = v.pipe(
  comparatorSchema,
  v.check((c) => c.type !== 'string', 'this expectation compares a number: use type int or float'),
);

/** A comparator on text (bodies, stdout, banners): `type` is `string`. */
export const stringComparatorSchema = v.pipe(
  comparatorSchema,
  v.check((c) => c.type === 'string', 'this expectation compares text: use type string'),
);

/** One named expectation checked against a measured value. */
export interface Check {
  /** What was compared, for the message: `status`, `body`, `stdout` ... */
  what: string;
  actual: Json | undefined;
  comparator: Comparator;
}

/**
 * Runs every check and joins their messages; the probe passes only when all pass. The message names
 * the failed checks first, so a reader sees why at a glance.
 */
export function judge(checks: readonly Check[]): { passed: boolean; message: string } {
  const results = checks.map((c) => ({ what: c.what, ...compare(c.actual, c.comparator) }));
  const failed = results.filter((r) => !r.passed);
  const ordered = [...failed, ...results.filter((r) => r.passed)];
  return {
    passed: failed.length === 0,
    message: ordered.map((r) => `${r.what}: ${r.message}`).join('; '),
  };
}

/** Shortens text kept in an outcome's `value` (events and journals carry it). */
export function clip(text: string, max = 512): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** Why an operation stopped: the attempt's timeout, or a plain error message. */
export function reason(e: unknown, signal: AbortSignal, timeoutMs: number): string {
  if (signal.aborted) return `no answer within the probe timeout (${timeoutMs} ms)`;
  return e instanceof Error ? e.message : String(e);
}
