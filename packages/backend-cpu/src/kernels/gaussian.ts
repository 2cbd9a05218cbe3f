/**
 * Fused Gaussian kernels over blocks of {@link BLOCK} elements: float64 arithmetic, no temporaries
 * (one block-sized scratch per thread). Working block by block lets any split of the blocks
 * between threads give bitwise the same results: sums are formed per block, then added in block
 * order.
 */
import { expNonPositive, log1pUnit, softplusRange, softplusWithLogSum } from './fast-math.js';
import { BLOCK, fillNormalBlocks } from './random-normal.js';

/** sigma of one block when it is not cached; one per thread (module instance). */
const scratch = new Float64Array(BLOCK);

/**
 * Writes `softplus(rho[i])` to `sigma[i − offset]` for `i` in `[start, end)`, and returns
 * `Σ log sigma` over the range when `withLog` (else 0).
 */
export function sigmaRange(
  rho: Float32Array,
  start: number,
  end: number,
  sigma: Float64Array,
  offset: number,
  withLog: boolean,
): number {
  if (withLog) return softplusWithLogSum(rho, start, end, sigma, offset);
  softplusRange(rho, start, end, sigma, offset);
  return 0;
}

/** Fills blocks `[firstBlock, endBlock)` of a sigma cache: sigma and each block's `Σ log sigma`. */
export function sigmaBlocks(
  rho: Float32Array,
  sigma: Float64Array,
  logSums: Float64Array,
  firstBlock: number,
  endBlock: number,
): void {
  for (let b = firstBlock; b < endBlock; b++) {
    const start = b * BLOCK;
    logSums[b] = sigmaRange(rho, start, Math.min(rho.length, start + BLOCK), sigma, 0, true);
  }
}

/**
 * Blocks `[firstBlock, endBlock)` of `mu + sigma ⊙ eps`, eps the draws of (seed, counter) that
 * `fillNormalBlocks` gives, sigma from the cache `sigma` or, when null, `softplus(rho)`.
 * Each block is first filled with its draws (rounded to float32, as `randomNormal` stores them),
 * then scaled and shifted while it is still in L1 cache.
 */
export function sampleBlocks(
  out: Float32Array,
  mu: Float32Array,
  rho: Float32Array,
  sigma: Float64Array | null,
  seed: number,
  counter: number,
  firstBlock: number,
  endBlock: number,
): void {
  for (let b = firstBlock; b < endBlock; b++) {
    fillNormalBlocks(out, seed, counter, b, b + 1);
    const start = b * BLOCK;
    const end = Math.min(out.length, start + BLOCK);
    if (sigma !== null) {
      for (let i = start; i < end; i++) {
        out[i] = (mu[i] as number) + (sigma[i] as number) * (out[i] as number);
      }
    } else {
      // softplusRange's two passes, the second one fused with the multiply-add: the same sigma.
      for (let i = start; i < end; i++) {
        scratch[i - start] = expNonPositive(-Math.abs(rho[i] as number));
      }
      for (let i = start; i < end; i++) {
        const x = rho[i] as number;
        const l = log1pUnit(scratch[i - start] as number);
        out[i] = (mu[i] as number) + (x > 0 ? x + l : l) * (out[i] as number);
      }
    }
  }
}

/**
 * Per block, `Σ [−(x−mu)²/(2σ²) + (x−priorMu)²·priorScale] − Σ log σ` for blocks
 * `[firstBlock, endBlock)`; writes each block's total to `partials[b]` when given, and returns
 * their sum in block order. `sigma`/`logSums` come from the cache, or when null from
 * `softplus(rho)`: the same numbers either way, so cached and uncached results are bitwise equal.
 */
export function logRatioBlocks(
  x: Float32Array,
  mu: Float32Array,
  rho: Float32Array,
  sigma: Float64Array | null,
  logSums: Float64Array | null,
  priorMu: number,
  priorScale: number,
  partials: Float64Array | null,
  firstBlock: number,
  endBlock: number,
): number {
  let total = 0;
  for (let b = firstBlock; b < endBlock; b++) {
    const start = b * BLOCK;
    const end = Math.min(x.length, start + BLOCK);
    let s = sigma;
    let offset = 0;
    let logSum: number;
    if (s === null || logSums === null) {
      s = scratch;
      offset = start;
      logSum = sigmaRange(rho, start, end, s, offset, true);
    } else {
      logSum = logSums[b] as number;
    }
    let quad = 0;
    for (let i = start; i < end; i++) {
      const xi = x[i] as number;
      const z = (xi - (mu[i] as number)) / (s[i - offset] as number);
      const e = xi - priorMu;
      quad += e * e * priorScale - 0.5 * z * z;
    }
    const blockTotal = quad - logSum;
    if (partials !== null) partials[b] = blockTotal;
    total += blockTotal;
  }
  return total;
}
