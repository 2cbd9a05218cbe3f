/**
 * Standard normal draws: xoshiro128** feeding a 128-layer Ziggurat (Marsaglia & Tsang 2000).
 *
 * Counter-based at block level: the draws of block `b` (elements `b·BLOCK` to `(b+1)·BLOCK − 1`)
 * come from a xoshiro128** stream seeded by (key.seed, key.counter, b). Any split of the blocks
 * between threads gives bitwise the same numbers.
 *
 * Each 32-bit draw feeds one Ziggurat step with disjoint bits: 7 for the layer, 1 for the sign
 * and 24 for the position, so the layer and the value are not correlated (Doornik 2005).
 *
 * Speed: the generator state lives in four local integers inside the block loop, and the common
 * case (98.8% of draws: inside a layer's rectangle) is one table compare and one multiply by a
 * signed width. The rare wedge and tail draws leave the loop for {@link slowNormal}, which takes
 * the state through an Int32Array so the hot loop keeps it in registers.
 */
import { mix32, type RandomNormalAttrs, sizeOf } from '@illia-ts/core';
import type { CpuKernel } from './context.js';

/** Elements per independently seeded stream. */
export const BLOCK = 2048;

/** Blocks that cover `n` elements. */
export const blocksOf = (n: number): number => Math.ceil(n / BLOCK);

/** The `randomNormal` kernel: its blocks split between threads when large. */
export const randomNormal: CpuKernel<RandomNormalAttrs> = (ctx, _inputs, { key }, { shape }) => {
  const n = sizeOf(shape);
  const out = ctx.float32(n);
  ctx.runBlocks({ kind: 'normal', out, seed: key.seed, counter: key.counter }, n);
  return ctx.wrap(out, shape);
};

const LAYERS = 128;
/** Right edge of the base layer and the area of each layer (Marsaglia & Tsang, 128 layers). */
const R = 3.442619855899;
const AREA = 9.91256303526217e-3;
const SCALE = 2 ** 24;

/** `K[i]`: below it, a 24-bit position lies inside the curve for sure. */
const K = new Int32Array(LAYERS);
/** `W[i]`: layer i's width divided by 2^24. */
const W = new Float64Array(LAYERS);
/** `WS[i + 128·sign]`: `±W[i]`, so the sign bit picks the sign without a branch. */
const WS = new Float64Array(2 * LAYERS);
/** `F[i]`: the density exp(−x²/2) at layer i's edge. */
const F = new Float64Array(LAYERS);

(() => {
  let dn = R;
  let tn = dn;
  const q = AREA / Math.exp(-0.5 * dn * dn);
  K[0] = Math.floor((dn / q) * SCALE);
  K[1] = 0;
  W[0] = q / SCALE;
  W[LAYERS - 1] = dn / SCALE;
  F[0] = 1;
  F[LAYERS - 1] = Math.exp(-0.5 * dn * dn);
  for (let i = LAYERS - 2; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(AREA / dn + Math.exp(-0.5 * dn * dn)));
    K[i + 1] = Math.floor((dn / tn) * SCALE);
    tn = dn;
    F[i] = Math.exp(-0.5 * dn * dn);
    W[i] = dn / SCALE;
  }
  for (let i = 0; i < LAYERS; i++) {
    WS[i] = W[i] as number;
    WS[i + LAYERS] = -(W[i] as number);
  }
})();

/** One xoshiro128** step on `s` (4 words, updated in place); the next uniform 32-bit integer. */
function nextUint32(s: Int32Array): number {
  const s1 = s[1] as number;
  const m = Math.imul(s1, 5);
  const result = Math.imul((m << 7) | (m >>> 25), 9);
  const t = s1 << 9;
  let s0 = s[0] as number;
  let s2 = s[2] as number;
  let s3 = s[3] as number;
  s2 ^= s0;
  s3 ^= s1;
  s[1] = s1 ^ s2;
  s0 ^= s3;
  s[0] = s0;
  s[2] = s2 ^ t;
  s[3] = (s3 << 11) | (s3 >>> 21);
  return result >>> 0;
}

/** A uniform number in (0, 1), never 0 (so its log is finite). */
function nextOpenUniform(s: Int32Array): number {
  return ((nextUint32(s) >>> 8) + 0.5) / SCALE;
}

/**
 * The Ziggurat draw that starts from the rejected 32-bit draw `u`: wedge or tail test, and new
 * draws from `s` until one is accepted.
 */
function slowNormal(s: Int32Array, u: number): number {
  for (;;) {
    const i = u & (LAYERS - 1);
    const j = u >>> 8;
    const negative = (u & 0x80) !== 0;
    let x = j * (W[i] as number);
    if (j < (K[i] as number)) return negative ? -x : x;
    if (i === 0) {
      // The tail beyond R (Marsaglia 1964).
      let y: number;
      do {
        x = -Math.log(nextOpenUniform(s)) / R;
        y = -Math.log(nextOpenUniform(s));
      } while (y + y < x * x);
      return negative ? -(R + x) : R + x;
    }
    const fi = F[i] as number;
    // Math.exp: 1.2% of draws come here. fast-math's expNonPositive, called from here, measured
    // slower (3.84 against 3.38 ns per draw on average, back-to-back runs of bench/kernels.mjs).
    if (fi + nextOpenUniform(s) * ((F[i - 1] as number) - fi) < Math.exp(-0.5 * x * x)) {
      return negative ? -x : x;
    }
    u = nextUint32(s);
  }
}

/** The state of the slow path; one per thread (module instance). */
const slowState = new Int32Array(4);

/**
 * Fills blocks `firstBlock` to `endBlock − 1` of `out` with the standard normal draws of
 * (seed, counter): the same numbers whichever blocks a call covers.
 */
export function fillNormalBlocks(
  out: Float32Array,
  seed: number,
  counter: number,
  firstBlock: number,
  endBlock: number,
): void {
  const n = out.length;
  // Each word is a bijection of one input, so the state determines the triple.
  const w0 = mix32(seed ^ 0x243f6a88) | 0;
  const w1 = mix32(counter ^ 0x85a308d3) | 0;
  for (let block = firstBlock; block < endBlock; block++) {
    let s0 = w0;
    let s1 = w1;
    let s2 = mix32(block ^ 0x13198a2e) | 0;
    let s3 = mix32(w0 ^ w1 ^ s2 ^ 0x03707344) | 1;
    for (let k = 0; k < 8; k++) {
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
    }
    const end = Math.min(n, (block + 1) * BLOCK);
    for (let i = block * BLOCK; i < end; i++) {
      const m = Math.imul(s1, 5);
      const u = Math.imul((m << 7) | (m >>> 25), 9);
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
      const j = u >>> 8;
      if (j < (K[u & 127] as number)) {
        out[i] = j * (WS[u & 255] as number);
      } else {
        slowState[0] = s0;
        slowState[1] = s1;
        slowState[2] = s2;
        slowState[3] = s3;
        out[i] = slowNormal(slowState, u >>> 0);
        s0 = slowState[0] as number;
        s1 = slowState[1] as number;
        s2 = slowState[2] as number;
        s3 = slowState[3] as number;
      }
    }
  }
}
