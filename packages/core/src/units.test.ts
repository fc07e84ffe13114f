import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { isFaultlineError } from './errors.js';
import { durationSchema, formatDuration, parseDuration, parsePercent, parseSize } from './units.js';

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
    // a retention, not a timer: any length
    expect(parseDuration('720h')).toBe(2_592_000_000);
  });
  it("a spec's durations are timers: longer than one can wait (24.8 days) is refused (found by the agent's fuzz)", () => {
    const schema = durationSchema();
    expect(v.is(schema, 2_147_483_647)).toBe(true);
    expect(v.is(schema, '596h')).toBe(true);
    for (const long of [1.23e29, '1000h', 2_147_483_648])
      expect(v.safeParse(schema, long).issues?.[0]?.message, String(long)).toMatch(/longer than 24 days/);
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
  it('formats durations the way specs write them', () => {
    expect(formatDuration(30_000)).toBe('30s');
    expect(formatDuration(1500)).toBe('1500ms');
    expect(formatDuration(120_000)).toBe('2m');
  });
});
