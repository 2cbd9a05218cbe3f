/**
 * Standard normal draws: 8 xoshiro128** streams per block feeding a Box–Muller transform in
 * float32 (`normal-wasm.ts` says the stream exactly), in WebAssembly SIMD where the runtime has
 * it, else in the TypeScript below, which gives bitwise the same numbers.
 *
 * Counter-based at block level: the draws of block `b` (elements `b·BLOCK` to `(b+1)·BLOCK − 1`)
 * come from streams seeded by (key.seed, key.counter, b, lane). Any split of the blocks between
 * threads gives bitwise the same numbers, and so does either implementation.
 *
 * Stream version 2 (backend-cpu 0.2): version 1 was one xoshiro128** stream per block feeding a
 * scalar Ziggurat; the same key now gives other (equally distributed) numbers.
 */
import { mix32, type RandomNormalAttrs, sizeOf } from '@illia-ts/core';
import type { CpuKernel } from './context.js';
import { BLOCK_DRAWS, C, LANES, type NormalWasm, normalWasm } from './normal-wasm.js';

/** Elements per independently seeded block. */
export const BLOCK = BLOCK_DRAWS;

/** Blocks that cover `n` elements. */
export const blocksOf = (n: number): number => Math.ceil(n / BLOCK);

/** The `randomNormal` kernel: its blocks split between threads when large. */
export const randomNormal: CpuKernel<RandomNormalAttrs> = (ctx, _inputs, { key }, { shape }) => {
  const n = sizeOf(shape);
  const out = ctx.float32(n);
  ctx.runBlocks({ kind: 'normal', out, seed: key.seed, counter: key.counter }, n);
  return ctx.wrap(out, shape);
};

/** The first two words of every stream of (seed, counter). */
export const seedWord0 = (seed: number): number => mix32(seed ^ 0x243f6a88) | 0;
export const seedWord1 = (counter: number): number => mix32(counter ^ 0x85a308d3) | 0;

/** Whether draws come from WebAssembly SIMD (tests switch it off to run the TypeScript). */
let useWasm = normalWasm !== null;

/** Runs the TypeScript draws (false) or, where available, the WebAssembly ones (true). */
export function setNormalSimd(on: boolean): void {
  useWasm = on && normalWasm !== null;
}

/** Whether this thread draws with WebAssembly SIMD. */
export const normalSimd = (): boolean => useWasm;

/** The block's draws, one per thread (module instance). */
const scratch = new Float32Array(BLOCK);
/** The 32-bit draws of a block: lane `l`'s k-th at `8k + l`. */
const raw = new Int32Array(BLOCK);
/** 2^−e for e in −1 … 32 (index e + 1). */
const POW2_INV = Float64Array.from({ length: 34 }, (_, i) => 2 ** -(i - 1));

const f = Math.fround;
const [P0, P1, P2, P3, P4, P5, P6, P7, P8] = C.LOG_P as unknown as number[] as [
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
];
const [S0, S1, S2] = C.SIN as unknown as [number, number, number];
const [C0, C1, C2] = C.COS as unknown as [number, number, number];
const { SQRT2, LN2_HI, LN2_LO, ANGLE } = C;

/** Lane `l`'s 256 draws of block `block` of (w0, w1) into `raw[8k + l]`. */
function laneDraws(w0: number, w1: number, block: number, l: number): void {
  let s0 = w0;
  let s1 = w1;
  let s2 = mix32((((block << 3) + l) | 0) ^ 0x13198a2e) | 0;
  let s3 = mix32(w0 ^ w1 ^ 0x03707344 ^ s2) | 1;
  for (let k = -8; k < BLOCK / 8; k++) {
    const m = (s1 + (s1 << 2)) | 0;
    const q = (m << 7) | (m >>> 25);
    if (k >= 0) raw[8 * k + l] = q + (q << 3);
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
  }
}

/**
 * The TypeScript transcription of `normal-wasm.ts`: the draws of block `block` of (w0, w1) into
 * `out[0 … BLOCK)`, one float32 operation at a time.
 */
export function normalBlockTs(w0: number, w1: number, block: number, out: Float32Array): void {
  for (let l = 0; l < LANES; l++) laneDraws(w0, w1, block, l);
  for (let at = 0; at < BLOCK; at += 8) {
    for (let j = at; j < at + 4; j++) {
      const x = raw[j] as number;
      const y = raw[j + 4] as number;
      // ln u, u = (float32(x >>> 1) + 0.5)·2⁻³¹
      const v = f(f(x >>> 1) + 0.5);
      let e = v < 1 ? -1 : 31 - Math.clz32(v);
      let m = v * (POW2_INV[e + 1] as number);
      if (m > SQRT2) {
        m *= 0.5;
        e += 1;
      }
      const fe = e - 31;
      const xm = f(m - 1);
      const z = f(xm * xm);
      // Estrin's scheme, as normal-wasm.ts: x⁴·(P0·x⁴ + (P1·x + P2)·x² + P3·x + P4) + …
      const x4 = f(z * z);
      let p = f(f(f(f(xm * P1) + P2) * z) + f(f(xm * P3) + P4));
      p = f(p + f(x4 * P0));
      p = f(f(f(f(f(xm * P5) + P6) * z) + f(f(xm * P7) + P8)) + f(p * x4));
      p = f(f(p * xm) * z);
      p = f(p + f(fe * LN2_LO));
      p = f(p + f(z * -0.5));
      p = f(p + xm);
      p = f(p + f(fe * LN2_HI));
      const r = f(Math.sqrt(f(p * -2)));
      // the angle: q·π/2 + a
      const a = f(((y << 2) >> 8) * ANGLE);
      const za = f(a * a);
      let s = f(f(za * S0) + S1);
      s = f(f(s * za) + S2);
      s = f(f(f(s * za) * a) + a);
      let c = f(f(za * C0) + C1);
      c = f(f(c * za) + C2);
      c = f(f(f(f(c * za) * za) - f(za * 0.5)) + 1);
      const odd = (y & 0x40000000) !== 0;
      const cos = f(r * (odd ? s : c));
      const sin = f(r * (odd ? c : s));
      out[j] = (y ^ (y << 1)) < 0 ? -cos : cos;
      out[j + 4] = y < 0 ? -sin : sin;
    }
  }
}

/**
 * The standard normal draws of block `block` of (seed words w0, w1): a view the next call
 * overwrites (of the WebAssembly memory, or of this module's scratch).
 */
export function normalBlock(w0: number, w1: number, block: number): Float32Array {
  if (useWasm) {
    const wasm = normalWasm as NormalWasm;
    wasm.normals(w0, w1, block);
    return wasm.draws;
  }
  normalBlockTs(w0, w1, block, scratch);
  return scratch;
}

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
  const w0 = seedWord0(seed);
  const w1 = seedWord1(counter);
  for (let block = firstBlock; block < endBlock; block++) {
    const start = block * BLOCK;
    const draws = normalBlock(w0, w1, block);
    const len = Math.min(n - start, BLOCK);
    out.set(len === BLOCK ? draws : draws.subarray(0, len), start);
  }
}
