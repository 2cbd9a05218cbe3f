/**
 * The plain-JavaScript ceiling's random numbers: xoshiro128** for uniform 32-bit words and the
 * Marsaglia–Tsang ziggurat (128 layers) for standard normals. Written here, not imported from a
 * backend, so the ceiling measures what a careful hand-written loop reaches on its own.
 */

const LAYERS = 128;
const TWO_31 = 2 ** 31;
/** Rightmost layer edge and layer area of the 128-layer ziggurat (Marsaglia & Tsang 2000). */
const R = 3.442619855899;
const AREA = 9.91256303526217e-3;

/** Layer tables: `K` integer acceptance bounds, `W` widths per unit of int32, `F` densities. */
const K = new Uint32Array(LAYERS);
const W = new Float64Array(LAYERS);
const F = new Float64Array(LAYERS);
{
  let dn = R;
  let tn = dn;
  const q = AREA / Math.exp(-0.5 * dn * dn);
  K[0] = Math.floor((dn / q) * TWO_31);
  K[1] = 0;
  W[0] = q / TWO_31;
  W[LAYERS - 1] = dn / TWO_31;
  F[0] = 1;
  F[LAYERS - 1] = Math.exp(-0.5 * dn * dn);
  for (let i = LAYERS - 2; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(AREA / dn + Math.exp(-0.5 * dn * dn)));
    K[i + 1] = Math.floor((dn / tn) * TWO_31);
    tn = dn;
    F[i] = Math.exp(-0.5 * dn * dn);
    W[i] = dn / TWO_31;
  }
}

/** A seeded source of standard normal draws. */
export class NormalGenerator {
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;

  /** `seed`: any integer; splitmix32 spreads it over the 128-bit state (never all zero). */
  constructor(seed: number) {
    let x = seed >>> 0;
    const next = () => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) | 0;
    };
    this.#s0 = next();
    this.#s1 = next();
    this.#s2 = next();
    this.#s3 = next();
  }

  /** xoshiro128**: the next 32-bit word, as a signed int32. */
  nextInt32(): number {
    const s1 = this.#s1;
    const x = Math.imul(s1, 5);
    const result = Math.imul((x << 7) | (x >>> 25), 9);
    const t = s1 << 9;
    this.#s2 ^= this.#s0;
    this.#s3 ^= s1;
    this.#s1 ^= this.#s2;
    this.#s0 ^= this.#s3;
    this.#s2 ^= t;
    this.#s3 = (this.#s3 << 11) | (this.#s3 >>> 21);
    return result | 0;
  }

  /** A uniform draw in (0, 1), never 0 (it goes into a log). */
  uniform(): number {
    return ((this.nextInt32() >>> 0) + 0.5) * 2 ** -32;
  }

  /** A standard normal draw. */
  normal(): number {
    const hz = this.nextInt32();
    const iz = hz & (LAYERS - 1);
    // The fast path (about 99% of draws): inside the layer's rectangle.
    if (Math.abs(hz) < (K[iz] as number)) return hz * (W[iz] as number);
    return this.#slow(hz, iz);
  }

  #slow(hz0: number, iz0: number): number {
    let hz = hz0;
    let iz = iz0;
    for (;;) {
      const x = hz * (W[iz] as number);
      if (iz === 0) {
        // The tail beyond R, by Marsaglia's exponential method.
        let tx: number;
        let ty: number;
        do {
          tx = -Math.log(this.uniform()) / R;
          ty = -Math.log(this.uniform());
        } while (ty + ty < tx * tx);
        return hz > 0 ? R + tx : -R - tx;
      }
      const f0 = F[iz - 1] as number;
      const f1 = F[iz] as number;
      if (f1 + this.uniform() * (f0 - f1) < Math.exp(-0.5 * x * x)) return x;
      hz = this.nextInt32();
      iz = hz & (LAYERS - 1);
      if (Math.abs(hz) < (K[iz] as number)) return hz * (W[iz] as number);
    }
  }
}
