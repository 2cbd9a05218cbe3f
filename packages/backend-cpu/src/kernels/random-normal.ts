/**
 * Standard normal draws: xoshiro128** feeding a 128-layer Ziggurat (Marsaglia & Tsang 2000).
 *
 * Counter-based at block level: the draws of block `b` (elements `b·BLOCK` to `(b+1)·BLOCK − 1`)
 * come from a xoshiro128** stream seeded by (key.seed, key.counter, b). Any split of the blocks
 * between threads gives bitwise the same numbers.
 *
 * Each 32-bit draw feeds one Ziggurat step with disjoint bits: 7 for the layer, 1 for the sign
 * and 24 for the position, so the layer and the value are not correlated (Doornik 2005).
 */
import type { RandomKey } from '@illia-ts/core';

/** Elements per independently seeded stream. */
export const BLOCK = 2048;

const LAYERS = 128;
/** Right edge of the base layer and the area of each layer (Marsaglia & Tsang, 128 layers). */
const R = 3.442619855899;
const AREA = 9.91256303526217e-3;
const SCALE = 2 ** 24;

/** `k[i]`: below it, a 24-bit position lies inside the curve for sure. */
const K = new Uint32Array(LAYERS);
/** `w[i]`: layer i's width divided by 2^24. */
const W = new Float64Array(LAYERS);
/** `f[i]`: the density exp(−x²/2) at layer i's edge. */
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
})();

/** lowbias32 (Wellons): a bijective 32-bit mixer. */
function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

/** xoshiro128** (Blackman & Vigna) with a Ziggurat normal on top. */
export class NormalStream {
  #s0 = 0;
  #s1 = 0;
  #s2 = 0;
  #s3 = 0;

  /** Starts the stream of block `block` of `key`. Distinct (seed, counter, block) give distinct states. */
  reset(key: RandomKey, block: number): void {
    // Each word is a bijection of one input, so the state determines the triple.
    this.#s0 = mix32(key.seed ^ 0x243f6a88);
    this.#s1 = mix32(key.counter ^ 0x85a308d3);
    this.#s2 = mix32(block ^ 0x13198a2e);
    this.#s3 = mix32(this.#s0 ^ this.#s1 ^ this.#s2 ^ 0x03707344) | 1;
    for (let i = 0; i < 8; i++) this.nextUint32();
  }

  /** The next uniform 32-bit integer. */
  nextUint32(): number {
    const s1 = this.#s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
    const t = s1 << 9;
    this.#s2 ^= this.#s0;
    this.#s3 ^= s1;
    this.#s1 = s1 ^ this.#s2;
    this.#s0 ^= this.#s3;
    this.#s2 ^= t;
    this.#s3 = rotl(this.#s3, 11);
    return result >>> 0;
  }

  /** A uniform number in (0, 1), never 0 (so its log is finite). */
  nextOpenUniform(): number {
    return ((this.nextUint32() >>> 8) + 0.5) / SCALE;
  }

  /** A standard normal draw. */
  nextNormal(): number {
    for (;;) {
      const u = this.nextUint32();
      const i = u & (LAYERS - 1);
      const j = u >>> 8;
      const negative = (u & 0x80) !== 0;
      let x = j * (W[i] as number);
      if (j < (K[i] as number)) return negative ? -x : x;
      if (i === 0) {
        // The tail beyond R (Marsaglia 1964).
        let y: number;
        do {
          x = -Math.log(this.nextOpenUniform()) / R;
          y = -Math.log(this.nextOpenUniform());
        } while (y + y < x * x);
        return negative ? -(R + x) : R + x;
      }
      const fi = F[i] as number;
      if (fi + this.nextOpenUniform() * ((F[i - 1] as number) - fi) < Math.exp(-0.5 * x * x)) {
        return negative ? -x : x;
      }
    }
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Fills `out` with the standard normal draws of `key`. */
export function fillNormal(out: Float32Array, key: RandomKey): void {
  const stream = new NormalStream();
  for (let start = 0, block = 0; start < out.length; start += BLOCK, block++) {
    stream.reset(key, block);
    const end = Math.min(start + BLOCK, out.length);
    for (let i = start; i < end; i++) out[i] = stream.nextNormal();
  }
}
