/** Fused Gaussian kernels: one pass, float64 arithmetic, no temporaries. */
import type { GaussianPrior, RandomKey } from '@illia-ts/core';
import { softplus } from './elementwise.js';
import { BLOCK, NormalStream } from './random-normal.js';

/** `mu + softplus(rho) ⊙ eps`, with eps the draws `fillNormal(·, key)` gives. */
export function gaussianSample(mu: Float32Array, rho: Float32Array, key: RandomKey): Float32Array {
  const out = new Float32Array(mu.length);
  const stream = new NormalStream();
  for (let start = 0, block = 0; start < out.length; start += BLOCK, block++) {
    stream.reset(key, block);
    const end = Math.min(start + BLOCK, out.length);
    for (let i = start; i < end; i++) {
      out[i] = (mu[i] as number) + softplus(rho[i] as number) * stream.nextNormal();
    }
  }
  return out;
}

/** `Σ log std − log σ − (x−mu)²/(2σ²) + (x−prior.mu)²/(2 std²)`, σ = softplus(rho). */
export function gaussianLogRatio(
  x: Float32Array,
  mu: Float32Array,
  rho: Float32Array,
  prior: GaussianPrior,
): number {
  const logStd = Math.log(prior.std);
  const priorScale = 1 / (2 * prior.std * prior.std);
  let total = 0;
  for (let i = 0; i < x.length; i++) {
    const xi = x[i] as number;
    const sigma = softplus(rho[i] as number);
    const z = (xi - (mu[i] as number)) / sigma;
    const e = xi - prior.mu;
    total += logStd - Math.log(sigma) - 0.5 * z * z + e * e * priorScale;
  }
  return total;
}
