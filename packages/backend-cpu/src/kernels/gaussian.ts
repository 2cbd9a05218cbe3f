/**
 * Fused Gaussian kernels over blocks of {@link BLOCK} elements: float64 arithmetic, no temporaries
 * (one block-sized scratch per thread). Working block by block lets any split of the blocks
 * between threads give bitwise the same results: sums are formed per block, then added in block
 * order.
 */
import {
  expNonPositive,
  logSoftplus,
  softplus,
  softplusTable,
  softplusWithLogSum,
} from './fast-math.js';
import { combineLanes, quadLanesTs, quadWasm } from './log-ratio-wasm.js';
import { type NormalWasm, normalWasm } from './normal-wasm.js';
import { BLOCK, normalBlock, normalSimd, seedWord0, seedWord1 } from './random-normal.js';
import { softplusWasm } from './softplus-wasm.js';

/** sigma of one block for `logRatioBlocks` when not cached; one per thread (module instance). */
const scratch = new Float64Array(BLOCK);
/** The four lane sums of a block's `logRatioBlocks` sum (`log-ratio-wasm.ts`). */
const lanes = new Float64Array(4);

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
    logSums[b] = softplusWithLogSum(rho, start, Math.min(rho.length, start + BLOCK), sigma, 0);
  }
}

/**
 * Blocks `[firstBlock, endBlock)` of `mu + sigma ⊙ eps`, eps the draws of (seed, counter) that
 * `fillNormalBlocks` gives, sigma from the cache `sigma` or, when null, `softplus(rho)`.
 * Each block's draws (float32, as `randomNormal` stores them) are made in a block-sized buffer
 * (the WebAssembly memory, or the TypeScript's scratch) and read from there while in L1 cache.
 * With WebAssembly SIMD, the block's mu and sigma (copied from the cache, or softplus(rho)) are
 * put next to the draws and `scale` computes `mu + sigma·eps` there in float64 (f64x2: the same
 * operations and rounding as the loops below, which run without it).
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
  const w0 = seedWord0(seed);
  const w1 = seedWord1(counter);
  for (let b = firstBlock; b < endBlock; b++) {
    const start = b * BLOCK;
    const end = Math.min(out.length, start + BLOCK);
    if (normalSimd()) {
      const wasm = normalWasm as NormalWasm;
      wasm.normals(w0, w1, b);
      const count = end - start;
      wasm.mu.set(mu.subarray(start, end));
      if (sigma !== null) wasm.sigma.set(sigma.subarray(start, end));
      else {
        // softplus(rho) by the table in WebAssembly (softplus-wasm.ts), the tails here.
        const s = wasm.sigma;
        const sp = softplusWasm;
        if (sp !== null) {
          sp.rho.set(rho.subarray(start, end));
          const outside = sp.softplus(count);
          s.set(count === BLOCK ? sp.sigma : sp.sigma.subarray(0, count));
          if (outside > 0) {
            for (let i = start, j = 0; i < end; i++, j++) {
              const r = rho[i] as number;
              if (!(Math.abs(r) < softplusTable.limit)) s[j] = softplus(r);
            }
          }
        } else {
          for (let i = start, j = 0; i < end; i++, j++) s[j] = softplus(rho[i] as number);
        }
      }
      wasm.scale(count);
      out.set(count === BLOCK ? wasm.draws : wasm.draws.subarray(0, count), start);
      continue;
    }
    const eps = normalBlock(w0, w1, b);
    if (sigma !== null) {
      for (let i = start, j = 0; i < end; i++, j++) {
        out[i] = (mu[i] as number) + (sigma[i] as number) * (eps[j] as number);
      }
    } else {
      // softplus in the loop, not a pass of its own: no divide or exp left to overlap, so a
      // separate pass only added a store and a load (8.6 against 7.4 ns per element).
      // Bitwise the sigma that the cache holds (softplusWithLogSum).
      for (let i = start, j = 0; i < end; i++, j++) {
        out[i] = (mu[i] as number) + softplus(rho[i] as number) * (eps[j] as number);
      }
    }
  }
}

/**
 * Per block, `Σ ½[((x−priorMu)/priorStd)² − ((x−mu)/σ)²] − Σ log σ` for blocks
 * `[firstBlock, endBlock)`; writes each block's total to `partials[b]` when given, and returns
 * their sum in block order. `sigma`/`logSums` come from the cache, or when null from
 * `softplus(rho)`: the same numbers either way, so cached and uncached results are bitwise equal.
 * Scale-free: the prior's term is `(x − priorMu)·(1/priorStd)` squared, never `(x − priorMu)²`
 * over `priorStd²` (which overflow or underflow for a large mean or a small or large prior), and
 * `log σ` comes from rho, not from σ. A block's sum is formed in four lanes, in WebAssembly SIMD
 * where there is some (`log-ratio-wasm.ts`, the same bits either way). A block whose total is NaN
 * is computed again as the float64 reference does ({@link exactQuad}), so it is NaN only where
 * that is.
 */
export function logRatioBlocks(
  x: Float32Array,
  mu: Float32Array,
  rho: Float32Array,
  sigma: Float64Array | null,
  logSums: Float64Array | null,
  priorMu: number,
  priorStd: number,
  partials: Float64Array | null,
  firstBlock: number,
  endBlock: number,
): number {
  const priorInv = 1 / priorStd;
  // A reciprocal that is not a normal float64 (a prior std below 5.6e-309 or above 4.5e307)
  // would lose the prior's term: such priors take the exact path throughout.
  const exactOnly = !(priorInv >= 2.2250738585072014e-308 && priorInv < Number.POSITIVE_INFINITY);
  let total = 0;
  for (let b = firstBlock; b < endBlock; b++) {
    const start = b * BLOCK;
    const end = Math.min(x.length, start + BLOCK);
    const count = end - start;
    const wasm = exactOnly ? null : quadWasm;
    // σ of the block, from the cache or softplus(rho): into the module's memory where it runs,
    // else read in place (the cache) or from the scratch. `s[i − offset]` is element i's σ.
    let s: Float64Array;
    let offset: number;
    let logSum: number;
    if (sigma === null || logSums === null) {
      // softplus in a pass of its own: folding it into the sum, next to its divide, measured
      // slower (6.8 against 6.4 ns per element).
      s = wasm === null ? scratch : wasm.sigma;
      offset = start;
      logSum = softplusWithLogSum(rho, start, end, s, offset);
    } else if (wasm !== null) {
      s = wasm.sigma;
      offset = start;
      s.set(sigma.subarray(start, end));
      logSum = logSums[b] as number;
    } else {
      s = sigma;
      offset = 0;
      logSum = logSums[b] as number;
    }
    let quad = Number.NaN;
    if (!exactOnly) {
      lanes.fill(0);
      if (wasm !== null) {
        wasm.x.set(x.subarray(start, end));
        wasm.mu.set(mu.subarray(start, end));
        const fours = count >> 2;
        wasm.quad(fours, priorMu, priorInv);
        lanes.set(wasm.lanes);
        quadLanesTs(wasm.x, wasm.mu, s, 4 * fours, count, priorMu, priorInv, lanes);
      } else {
        const blockS = offset === 0 ? s.subarray(start, end) : s;
        const blockX = x.subarray(start, end);
        quadLanesTs(blockX, mu.subarray(start, end), blockS, 0, count, priorMu, priorInv, lanes);
      }
      quad = 0.5 * combineLanes(lanes);
    }
    // NaN from NaN inputs, from opposite infinities, or from 0/0 where σ underflows float64
    // (rho below −745) at x = mu: the exact form tells them apart.
    if (Number.isNaN(quad)) quad = exactQuad(x, mu, s, offset, priorMu, priorStd, start, end);
    const blockTotal = quad - logSum;
    if (partials !== null) partials[b] = blockTotal;
    total += blockTotal;
  }
  return total;
}

/**
 * Blocks `[firstBlock, endBlock)` of `gaussianLogRatio`'s gradient times the scalar `g`, one pass
 * in float64: with z = (x − mu)/σ, `dx = ((x − priorMu)/priorStd² − z/σ)·g`, `dMu = (z/σ)·g`,
 * `dRho = (z² − 1)·(d log σ/d rho)·g`, where `d log σ/d rho = sigmoid(rho)/σ`, 1 below rho −17
 * as core's `logSoftplusGrad` has it. σ from the cache or `softplus(rho)` (the same bits); where
 * it underflows float64 (rho below −745), 1/σ is `exp(−log σ)` (Infinity below about −709), and
 * z is 0 where x = mu, as in core's composed rule.
 */
export function logRatioGradBlocks(
  x: Float32Array,
  mu: Float32Array,
  rho: Float32Array,
  sigma: Float64Array | null,
  g: number,
  priorMu: number,
  priorStd: number,
  dx: Float32Array,
  dMu: Float32Array,
  dRho: Float32Array,
  firstBlock: number,
  endBlock: number,
): void {
  const priorInv = 1 / priorStd;
  const priorScale = priorInv * priorInv;
  const start = firstBlock * BLOCK;
  const end = Math.min(x.length, endBlock * BLOCK);
  for (let i = start; i < end; i++) {
    const r = rho[i] as number;
    const xi = x[i] as number;
    const d = xi - (mu[i] as number);
    const sg = sigma === null ? softplus(r) : (sigma[i] as number);
    const inv = sg > 0 ? 1 / sg : Math.exp(-logSoftplus(r));
    const z = d === 0 ? 0 : d * inv;
    const zOverSigma = z === 0 ? 0 : z * inv;
    // sigmoid(rho) = e^(rho − σ), or 1 − e^(−σ) (at most ½) for rho > 0, since e^σ = 1 + e^rho:
    // one exp and no divide. Forward and backward over 46,730 weights, 1 thread: 0.92–1.01 ms,
    // against 1.05–1.17 with `sigmoid(rho)`.
    const dLogSigma =
      r < -17 ? 1 : (r <= 0 ? expNonPositive(r - sg) : 1 - expNonPositive(-sg)) * inv;
    dx[i] = ((xi - priorMu) * priorScale - zOverSigma) * g;
    dMu[i] = zOverSigma * g;
    dRho[i] = (z * z - 1) * dLogSigma * g;
  }
}

/**
 * `½ Σ [((x−priorMu)/priorStd)² − z²]` over `[start, end)` as the float64 reference computes it:
 * z is 0 where x = mu (even where σ is 0), else `(x − mu)/σ`; the prior's term is a quotient.
 */
function exactQuad(
  x: Float32Array,
  mu: Float32Array,
  s: Float64Array,
  offset: number,
  priorMu: number,
  priorStd: number,
  start: number,
  end: number,
): number {
  let quad = 0;
  for (let i = start; i < end; i++) {
    const xi = x[i] as number;
    const d = xi - (mu[i] as number);
    const z = d === 0 ? 0 : d / (s[i - offset] as number);
    const zp = (xi - priorMu) / priorStd;
    quad += zp * zp - z * z;
  }
  return 0.5 * quad;
}
