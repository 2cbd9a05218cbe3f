/**
 * Float64 references: what every subject's numbers are checked against before they are timed.
 */

/** `log(1 + exp(x))` in float64, finite for every finite x. */
export function softplus64(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

/** The prior of the Gaussian log-ratio. */
export interface Prior {
  readonly mu: number;
  readonly std: number;
}

/**
 * `Σ log N(x; mu, σ) − Σ log N(x; prior)` with `σ = softplus(rho)`, every term and the sum in
 * float64 (the README's GaussianDistribution contract, `logProb`).
 */
export function logRatio64(
  x: ArrayLike<number>,
  mu: ArrayLike<number>,
  rho: ArrayLike<number>,
  prior: Prior,
): number {
  const logStd = Math.log(prior.std);
  const priorScale = 1 / (2 * prior.std * prior.std);
  let total = 0;
  for (let i = 0; i < x.length; i++) {
    const xi = x[i] as number;
    const sigma = softplus64(rho[i] as number);
    const z = (xi - (mu[i] as number)) / sigma;
    const d = xi - prior.mu;
    total += logStd - Math.log(sigma) - 0.5 * z * z + d * d * priorScale;
  }
  return total;
}

/**
 * The relative error that `logProb` may have: 1e-4 of the float64 reference (the README, "No
 * cancelling constants": a million float32 terms stay within 1e-4).
 */
export const LOG_PROB_TOLERANCE = 1e-4;

/** What the check found; `problems` is empty when the subject is right. */
export interface CheckResult {
  readonly logProb: number;
  readonly reference: number;
  readonly relError: number;
  /** Mean and variance of `(sample − mu)/σ`: about 0 and 1 for a right sampler. */
  readonly zMean: number;
  readonly zVar: number;
  readonly problems: readonly string[];
}

/**
 * Checks a subject's `logProb(x)` against the float64 reference (relative 1e-4) and its fresh
 * `sample` for standardised mean 0 and variance 1 within 6 standard errors (a false alarm about
 * once in 10^9 checks), so a fast wrong answer is caught before it is timed.
 */
export function checkGaussian(args: {
  readonly mu: Float32Array;
  readonly rho: Float32Array;
  readonly x: Float32Array;
  readonly logProb: number;
  readonly sample: Float32Array;
  readonly prior: Prior;
}): CheckResult {
  const { mu, rho, x, logProb, sample, prior } = args;
  const problems: string[] = [];
  const reference = logRatio64(x, mu, rho, prior);
  const relError = Math.abs(logProb - reference) / Math.max(Math.abs(reference), 1e-30);
  if (!(relError <= LOG_PROB_TOLERANCE)) {
    problems.push(
      `logProb ${logProb} vs float64 reference ${reference}: relative error ${relError.toExponential(2)} > ${LOG_PROB_TOLERANCE}`,
    );
  }
  const n = sample.length;
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < n; i++) {
    const z = ((sample[i] as number) - (mu[i] as number)) / softplus64(rho[i] as number);
    sum += z;
    sumSq += z * z;
  }
  const zMean = sum / n;
  const zVar = sumSq / n - zMean * zMean;
  if (sample.length !== mu.length) {
    problems.push(`sample has ${sample.length} elements, expected ${mu.length}`);
  } else if (n >= 10) {
    if (!(Math.abs(zMean) <= 6 / Math.sqrt(n))) {
      problems.push(
        `sample: mean of (x−mu)/σ is ${zMean.toFixed(4)}, expected 0 ± ${(6 / Math.sqrt(n)).toFixed(4)}`,
      );
    }
    // Var of the sample variance of N(0,1) draws is about 2/n; add slack for the tiny sizes.
    const bound = 6 * Math.sqrt(2 / n) + 2 / n;
    if (!(Math.abs(zVar - 1) <= bound)) {
      problems.push(
        `sample: variance of (x−mu)/σ is ${zVar.toFixed(4)}, expected 1 ± ${bound.toFixed(4)}`,
      );
    }
  }
  return { logProb, reference, relError, zMean, zVar, problems };
}
