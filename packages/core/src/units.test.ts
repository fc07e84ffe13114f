import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { isFaultlineError } from './errors.js';
import {
  durationSchema,
  formatDuration,
  MAX_DURATION_MS,
  MAX_SIZE_BYTES,
  parseDuration,
  parsePercent,
  parseSize,
  sizeSchema,
} from './units.js';

const code = (f: () => unknown) => {
  try {
    f();
    return 'no error';
  } catch (e) {
    return isFaultlineError(e) ? e.code : String(e);
  }
};

describe('units: one parser for durations, sizes, percents', () => {
  it('durations', () => {
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration(42)).toBe(42);
    for (const bad of ['', '30', '5 parsecs', '-1s', 's', '1d', '1s 2s'])
      expect(
        code(() => parseDuration(bad)),
        bad,
      ).toBe('FL_DURATION');
    expect(code(() => parseDuration(-5))).toBe('FL_DURATION');
    expect(code(() => parseDuration(Number.NaN))).toBe('FL_DURATION');
  });
  it("a spec's durations are timers: longer than one can wait (24.8 days) is refused (found by the agent's fuzz)", () => {
    const schema = durationSchema();
    expect(v.is(schema, 2_147_483_647)).toBe(true);
    expect(v.is(schema, '596h')).toBe(true);
    for (const long of [1.23e29, '1000h', 2_147_483_648])
      expect(v.safeParse(schema, long).issues?.[0]?.message, String(long)).toMatch(
        /longer than faultline can wait: at most 2147483647 ms/,
      );
  });
  it("sizes past 2^53 bytes are refused: the number no longer counts bytes (found by the agent's fuzz)", () => {
    expect(code(() => parseSize(1.23e29))).toBe('FL_DURATION');
    expect(code(() => parseSize('99999999TiB'))).toBe('FL_DURATION');
  });
  it('sizes, SI and IEC', () => {
    expect(parseSize('512MiB')).toBe(512 * 1024 ** 2);
    expect(parseSize('1GB')).toBe(1e9);
    expect(parseSize('4k')).toBe(4000);
    expect(parseSize('1gib')).toBe(1024 ** 3);
    expect(parseSize('100')).toBe(100);
    expect(parseSize(4096)).toBe(4096);
    for (const bad of ['', 'MiB', '1 furlong', '-1GB', '1.5.2MB'])
      expect(
        code(() => parseSize(bad)),
        bad,
      ).toBe('FL_DURATION');
  });
  it('percents', () => {
    expect(parsePercent(30)).toBe(30);
    expect(parsePercent('30%')).toBe(30);
    expect(parsePercent('12.5')).toBe(12.5);
    for (const bad of [150, -1, '150%', 'lots', ''])
      expect(
        code(() => parsePercent(bad)),
        String(bad),
      ).toBe('FL_DURATION');
  });
  it('durations are bounded by what a Node timer honours: longer ones are refused, not shortened', () => {
    expect(MAX_DURATION_MS).toBe(2 ** 31 - 1);
    expect(parseDuration(MAX_DURATION_MS)).toBe(MAX_DURATION_MS);
    expect(parseDuration('596h')).toBe(596 * 3_600_000); // 24.8 days fit
    for (const bad of [
      '999999999h',
      '597h',
      `${10 ** 400}ms`,
      '1'.repeat(65),
      1e308,
      MAX_DURATION_MS + 1,
      Infinity,
    ]) {
      expect(
        code(() => parseDuration(bad)),
        String(bad),
      ).toBe('FL_DURATION');
    }
    expect(() => parseDuration('999999999h')).toThrow(/at most 2147483647 ms/);
    // the schema says the same, and a JSON caller's wrong type is a FaultlineError, not a TypeError
    const r = v.safeParse(durationSchema(), '999999999h');
    expect(r.success).toBe(false);
    expect(r.issues?.[0]?.message).toMatch(/longer than faultline can wait/);
    // an age nothing waits for may be longer, with its own bound
    expect(parseDuration('720h', { max: Number.MAX_SAFE_INTEGER })).toBe(720 * 3_600_000);
    expect(code(() => parseDuration('720h'))).toBe('FL_DURATION');
    expect(v.safeParse(durationSchema({ max: 1000 }), '2s').success).toBe(false);
    for (const wrong of [null, {}, [], true])
      expect(code(() => parseDuration(wrong as never))).toBe('FL_DURATION');
  });
  it('sizes are bounded by the largest byte count a number holds exactly', () => {
    expect(parseSize(MAX_SIZE_BYTES)).toBe(MAX_SIZE_BYTES);
    expect(parseSize('8191TiB')).toBe(8191 * 1024 ** 4); // just under 8 PiB
    for (const bad of [`1${'0'.repeat(300)}`, '9999999TiB', 2 ** 53, 1e308, '1'.repeat(65)])
      expect(
        code(() => parseSize(bad)),
        String(bad),
      ).toBe('FL_DURATION');
    expect(v.safeParse(sizeSchema(), '9999999TiB').issues?.[0]?.message).toMatch(/too large/);
  });
  it('formats durations the way specs write them', () => {
    expect(formatDuration(30_000)).toBe('30s');
    expect(formatDuration(1500)).toBe('1500ms');
    expect(formatDuration(120_000)).toBe('2m');
  });
});
