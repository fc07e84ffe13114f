/**
 * The jitter distributions of the latency toxic. Each draws the delay of one chunk (ms) from the
 * toxic's `latency` (L) and `jitter` (J). Documented with their quantiles in the README, so a test
 * author knows what "200 ms ± 50" means.
 */

/** Names of the distributions. `uniform` is Toxiproxy's. */
export const DISTRIBUTIONS = ['uniform', 'normal', 'pareto'] as const;
/** One of {@link DISTRIBUTIONS}. */
export type Distribution = (typeof DISTRIBUTIONS)[number];

/** The largest pareto draw, in units of J: 99.99 % of draws are below it; the cap keeps one chunk from stalling a stream for minutes. */
export const PARETO_CAP = 99;

/** A standard normal draw (Box–Muller). */
function gaussian(random: () => number): number {
  const u = 1 - random(); // (0, 1]: log(0) would be -Infinity
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/**
 * One delay in ms, never negative:
 * - `uniform`: L + U(−J, +J) — Toxiproxy's latency ± jitter.
 * - `normal`: L + J·N(0, 1), clamped at 0 — J is the standard deviation.
 * - `pareto`: L + J·(U^(−1/2) − 1), a Pareto tail with shape 2 — never below L; median L + 0.41·J,
 *   mean L + J, p90 L + 2.16·J, p99 L + 9·J, capped at L + 99·J.
 */
export function drawDelay(
  latency: number,
  jitter: number,
  distribution: Distribution,
  random: () => number = Math.random,
): number {
  if (jitter <= 0) return Math.max(0, latency);
  switch (distribution) {
    case 'uniform':
      return Math.max(0, latency + (random() * 2 - 1) * jitter);
    case 'normal':
      return Math.max(0, latency + gaussian(random) * jitter);
    case 'pareto':
      return Math.max(0, latency + jitter * Math.min(PARETO_CAP, (1 - random()) ** -0.5 - 1));
  }
}
