/**
 * Statistics for the conformance checks, in float64. Bounds come from sampling distributions,
 * so that a correct backend passes with a fixed seed and a wrong one fails.
 */

/** How many standard errors a sample statistic may stray from its expectation. */
export const STANDARD_ERRORS = 5;

/** Significance of the Kolmogorov–Smirnov tests. */
export const KS_ALPHA = 1e-6;

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/**
 * erf(x), accurate to about 1e-15: a series of positive terms below |x| = 3, the continued
 * fraction of erfc above.
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  const a = Math.abs(x);
  if (a < 3) {
    // erf(a) = 2/√π · e^(−a²) · Σ 2ⁿ a^(2n+1) / (1·3·…·(2n+1))
    let term = a;
    let total = a;
    for (let n = 1; n < 200 && term > total * 1e-17; n++) {
      term *= (2 * a * a) / (2 * n + 1);
      total += term;
    }
    const value = TWO_OVER_SQRT_PI * Math.exp(-a * a) * total;
    return x < 0 ? -value : value;
  }
  const value = 1 - erfcLarge(a);
  return x < 0 ? -value : value;
}

/** erfc(a) for a ≥ 3 by the continued fraction a + ½/(a + 1/(a + 3/2/(a + …))) (modified Lentz). */
function erfcLarge(a: number): number {
  const tiny = 1e-300;
  let f = a;
  let c = a;
  let d = 0;
  for (let n = 1; n < 500; n++) {
    const an = n / 2;
    d = a + an * d;
    d = d === 0 ? tiny : 1 / d;
    c = a + an / c;
    if (c === 0) c = tiny;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-a * a) / (f * Math.sqrt(Math.PI));
}

/** The standard normal CDF. */
export function normalCdf(x: number): number {
  return x < -3 ? 0.5 * erfcLarge(-x / Math.SQRT2) : 0.5 * (1 + erf(x / Math.SQRT2));
}

/** Mean and (unbiased) variance. */
export function meanVariance(values: ArrayLike<number>): { mean: number; variance: number } {
  const n = values.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += values[i] as number;
  mean /= n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += ((values[i] as number) - mean) ** 2;
  return { mean, variance: squares / (n - 1) };
}

/** Pearson correlation of two equally long series. */
export function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  const ma = meanVariance(a).mean;
  const mb = meanVariance(b).mean;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = (a[i] as number) - ma;
    const db = (b[i] as number) - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return sab / Math.sqrt(saa * sbb);
}

/** The Kolmogorov–Smirnov statistic of `values` against `cdf`. */
export function ksStatistic(values: ArrayLike<number>, cdf: (x: number) => number): number {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(sorted[i] as number);
    d = Math.max(d, f - i / n, (i + 1) / n - f);
  }
  return d;
}

/**
 * The critical KS statistic for `n` draws at significance `alpha`: the asymptotic Kolmogorov
 * quantile, P(√n·D > t) ≈ 2·e^(−2t²), with Stephens' finite-sample correction.
 */
export function ksCritical(n: number, alpha = KS_ALPHA): number {
  const t = Math.sqrt(-0.5 * Math.log(alpha / 2));
  return t / (Math.sqrt(n) + 0.12 + 0.11 / Math.sqrt(n));
}

/** Standard error of the mean of n draws with standard deviation `std`. */
export function meanStandardError(std: number, n: number): number {
  return std / Math.sqrt(n);
}

/** Standard error of the sample variance of n normal draws with variance `variance`. */
export function varianceStandardError(variance: number, n: number): number {
  return variance * Math.sqrt(2 / (n - 1));
}

/** Standard error of a sample correlation of n independent pairs (under no correlation). */
export function correlationStandardError(n: number): number {
  return 1 / Math.sqrt(n - 1);
}
