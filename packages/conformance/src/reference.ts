/** Float64 references for what the backends compute in float32. */

/** softplus in float64, stably. */
export function softplus64(rho: number): number {
  return rho > 0 ? rho + Math.log1p(Math.exp(-rho)) : Math.log1p(Math.exp(rho));
}

/**
 * The log-ratio of the README (`GaussianDistribution.logProb`) in float64 from float32 inputs:
 * `Σ log std − log σ − (x−mu)²/(2σ²) + (x−muPrior)²/(2 std²)`, σ = softplus(rho).
 * Returns the sum and the sum of absolute terms (the scale of its rounding error).
 */
export function gaussianLogRatio64(
  x: ArrayLike<number>,
  mu: ArrayLike<number>,
  rho: ArrayLike<number>,
  muPrior: number,
  stdPrior: number,
): { value: number; magnitude: number } {
  let value = 0;
  let magnitude = 0;
  const logStd = Math.log(stdPrior);
  for (let i = 0; i < x.length; i++) {
    const sigma = softplus64(rho[i] as number);
    const xi = x[i] as number;
    const z = (xi - (mu[i] as number)) / sigma;
    const e = xi - muPrior;
    const term = logStd - Math.log(sigma) - 0.5 * z * z + (e * e) / (2 * stdPrior * stdPrior);
    value += term;
    magnitude += Math.abs(term);
  }
  return { value, magnitude };
}

/** Relative error of `got` against `expected`. */
export function relativeError(got: number, expected: number): number {
  return expected === 0 ? Math.abs(got) : Math.abs(got - expected) / Math.abs(expected);
}
