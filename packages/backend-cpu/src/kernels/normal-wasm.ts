/**
 * Standard normal draws in WebAssembly SIMD: 8 xoshiro128** streams side by side (two i32x4
 * states) feeding a vectorised Box–Muller transform in float32, 8 draws per step. The module
 * (about 4 KB) is assembled here byte by byte, as `matmul-wasm.ts` is, and compiles
 * synchronously at import in every thread that runs kernels. Where WebAssembly SIMD is missing,
 * {@link normalWasm} is null and `random-normal.ts` runs its TypeScript transcription, which
 * gives bitwise the same numbers: every step below is one IEEE float32 operation (add, subtract,
 * multiply, square root, an exact conversion) or an integer one, and a float32 operation done in
 * float64 then rounded once to float32 (`Math.fround`) is the same number.
 *
 * One block of {@link BLOCK_DRAWS} draws from (w0, w1, block), the seeding words of
 * `random-normal.ts`:
 *
 * - Lane `l` (0–7) is the xoshiro128** stream seeded with `s0 = w0`, `s1 = w1`,
 *   `s2 = mix32((8·block + l) ^ 0x13198a2e)`, `s3 = mix32(w0 ^ w1 ^ s2 ^ 0x03707344) | 1`, then
 *   stepped 8 times.
 * - Step `k` (0–255) draws `x` from lanes 0–3 and `y` from lanes 4–7. Lane j's pair gives
 *   `r = √(−2 ln u)` with `u = (float32(x >>> 1) + 0.5)·2⁻³¹` in (0, 1] (its log from the float's
 *   exponent and Cephes' `logf` degree-8 polynomial on the mantissa, by Estrin's scheme), and the angle
 *   `θ = q·π/2 + a`: `q` the top 2 bits of `y`, `a = π/2 · i·2⁻²⁴` with `i` the next 24 bits as
 *   a signed integer (|a| ≤ π/4, where Cephes' `sinf`/`cosf` polynomials hold). Draw `8k + j` is
 *   `r·cos θ` and draw `8k + 4 + j` is `r·sin θ`, the quadrant applied by swapping sin and cos
 *   and flipping signs (exact).
 *
 * The largest draw is √(2·32·ln 2) ≈ 6.66 in magnitude (u = 2⁻³²), reached with probability 2⁻³¹
 * per pair (a normal exceeds it with probability 2.7e-11).
 */

import {
  F64X2_ADD,
  F64X2_MUL,
  F64X2_PROMOTE_LOW_F32X4,
  get,
  I32,
  I32_ADD,
  I32_LT_U,
  I32_MUL,
  I32_SHL,
  i32Const,
  moduleOf,
  set,
  simd,
  tee,
  V128,
  v128Load,
  v128Store,
  vector,
} from './wasm-assembler.js';

/** Draws per block (the block of `random-normal.ts`). */
export const BLOCK_DRAWS = 2048;
/** xoshiro128** streams per block. */
export const LANES = 8;

/** Float32 constants, shared with the TypeScript transcription so both use the same bits. */
export const C = {
  /** Cephes logf: the polynomial on m − 1, m in [√½, √2). */
  LOG_P: [
    7.0376836292e-2, -1.151461031e-1, 1.167699874e-1, -1.2420140846e-1, 1.4249322787e-1,
    -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1,
  ].map(Math.fround),
  /** ln 2 split: 0.693359375 (exact, 9 bits) − 2.12194440e-4. */
  LN2_HI: Math.fround(0.693359375),
  LN2_LO: Math.fround(-2.1219444e-4),
  SQRT2: Math.fround(Math.SQRT2),
  /** π/2 · 2⁻²⁴: the angle of one step of the 24-bit integer. */
  ANGLE: Math.fround(Math.PI * 2 ** -25),
  /** Cephes sinf on [−π/4, π/4]. */
  SIN: [-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1].map(Math.fround),
  /** Cephes cosf on [−π/4, π/4]. */
  COS: [2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2].map(Math.fround),
} as const;

// SIMD opcodes (0xfd prefix).
const V128_AND = simd(0x4e);
const V128_OR = simd(0x50);
const V128_XOR = simd(0x51);
const V128_BITSELECT = simd(0x52);
const I32X4_SPLAT = simd(0x11);
const I32X4_SHL = simd(0xab);
const I32X4_SHR_S = simd(0xac);
const I32X4_SHR_U = simd(0xad);
const I32X4_ADD = simd(0xae);
const I32X4_SUB = simd(0xb1);
const I32X4_MUL = simd(0xb5);
const F32X4_GT = simd(0x44);
const F32X4_SQRT = simd(0xe3);
const F32X4_ADD = simd(0xe4);
const F32X4_SUB = simd(0xe5);
const F32X4_MUL = simd(0xe6);
const F32X4_CONVERT_I32X4_S = simd(0xfa);
const F32X4_DEMOTE_F64X2_ZERO = simd(0x5e);
/** i8x16.shuffle of a vector with itself: lanes 2 and 3 of an f32x4 moved to lanes 0 and 1. */
const HIGH_HALF_DOWN = simd(
  0x0d,
  ...[8, 9, 10, 11, 12, 13, 14, 15],
  ...[8, 9, 10, 11, 12, 13, 14, 15],
);
/** i8x16.shuffle: lanes 0 and 1 of the first f32x4, then lanes 0 and 1 of the second. */
const LOW_HALVES = simd(0x0d, ...[0, 1, 2, 3, 4, 5, 6, 7], ...[16, 17, 18, 19, 20, 21, 22, 23]);
const I32_XOR = 0x73;

const i32 = (v: number) => i32Const(v | 0);

/** `v128.const` of four int32 lanes. */
function i32x4(...lanes: number[]): number[] {
  const bytes = new Uint8Array(
    new Int32Array(lanes.length === 1 ? new Array(4).fill(lanes[0]) : lanes).buffer,
  );
  return simd(0x0c, ...bytes);
}
/** `v128.const` of a float32 splat. */
function f32x4(v: number): number[] {
  return simd(0x0c, ...new Uint8Array(new Float32Array([v, v, v, v]).buffer));
}

// Locals: params 0 w0, 1 w1, 2 block; 3 the byte offset; v128 from 4: the two states, then the
// locals of two groups of 8 draws, made side by side.
const W0 = 0;
const W1 = 1;
const BLK = 2;
const AT = 3;
const A = [4, 5, 6, 7];
const B = [8, 9, 10, 11];

/** The v128 locals of one group of 8 draws. */
interface Group {
  x: number;
  y: number;
  t: number;
  e: number;
  m: number;
  k: number;
  xm: number;
  z: number;
  p: number;
  r: number;
  ang: number;
  s: number;
  co: number;
  sw: number;
  /** The byte offset of its draws from AT. */
  at: number;
}
const group = (first: number, at: number): Group => ({
  x: first,
  y: first + 1,
  t: first + 2,
  e: first + 3,
  m: first + 4,
  k: first + 5,
  xm: first + 6,
  z: first + 7,
  p: first + 8,
  r: first + 9,
  ang: first + 10,
  s: first + 11,
  co: first + 12,
  sw: first + 13,
  at,
});
const G1 = group(12, 0);
const G2 = group(26, 32);
/** One past the last local. */
const LOCALS_END = 40;
const T = G1.t;

const shl = (n: number) => [...i32(n), ...I32X4_SHL];
const shrU = (n: number) => [...i32(n), ...I32X4_SHR_U];
const shrS = (n: number) => [...i32(n), ...I32X4_SHR_S];

/** `h` ← mix32(h) lane-wise (core's `mix32`). */
function mix(h: number): number[] {
  return [
    ...[...get(h), ...get(h), ...shrU(16), ...V128_XOR],
    ...[...i32x4(0x7feb352d), ...I32X4_MUL],
    ...[...tee(h), ...get(h), ...shrU(15), ...V128_XOR],
    ...[...i32x4(0x846ca68b | 0), ...I32X4_MUL],
    ...[...tee(h), ...get(h), ...shrU(16), ...V128_XOR, ...set(h)],
  ];
}

/** The seeding of lanes `first`…`first + 3` into state `s`. */
function seed(s: number[], first: number): number[] {
  const [s0, s1, s2, s3] = s as [number, number, number, number];
  return [
    ...[...get(W0), ...I32X4_SPLAT, ...set(s0)],
    ...[...get(W1), ...I32X4_SPLAT, ...set(s1)],
    // s2 = mix32((8·block + lane) ^ 0x13198a2e)
    ...[...get(BLK), ...i32(3), I32_SHL, ...I32X4_SPLAT],
    ...[...i32x4(first, first + 1, first + 2, first + 3), ...I32X4_ADD],
    ...[...i32x4(0x13198a2e), ...V128_XOR, ...set(s2)],
    ...mix(s2),
    // s3 = mix32(w0 ^ w1 ^ s2 ^ 0x03707344) | 1
    ...[...get(W0), ...get(W1), I32_XOR, ...i32(0x03707344), I32_XOR, ...I32X4_SPLAT],
    ...[...get(s2), ...V128_XOR, ...set(s3)],
    ...mix(s3),
    ...[...get(s3), ...i32x4(1), ...V128_OR, ...set(s3)],
  ];
}

/** One xoshiro128** step of state `s`; the output into `out` when given. */
function step(s: number[], out: number | null): number[] {
  const [s0, s1, s2, s3] = s as [number, number, number, number];
  const result =
    out === null
      ? []
      : [
          // m = s1·5 = s1 + (s1 << 2); q = rotl(m, 7); out = q·9 = q + (q << 3)
          ...[...get(s1), ...get(s1), ...shl(2), ...I32X4_ADD, ...tee(T)],
          ...[...shl(7), ...get(T), ...shrU(25), ...V128_OR, ...tee(T)],
          ...[...get(T), ...shl(3), ...I32X4_ADD, ...set(out)],
        ];
  return [
    ...result,
    ...[...get(s1), ...shl(9), ...set(T)],
    ...[...get(s2), ...get(s0), ...V128_XOR, ...set(s2)],
    ...[...get(s3), ...get(s1), ...V128_XOR, ...set(s3)],
    ...[...get(s1), ...get(s2), ...V128_XOR, ...set(s1)],
    ...[...get(s0), ...get(s3), ...V128_XOR, ...set(s0)],
    ...[...get(s2), ...get(T), ...V128_XOR, ...set(s2)],
    ...[...get(s3), ...shl(11), ...get(s3), ...shrU(21), ...V128_OR, ...set(s3)],
  ];
}

/**
 * Eight draws from `x` (lanes 0–3) and `y` (lanes 4–7) of group `g`, stored at AT + g.at: a list
 * of statements (each leaves the stack empty), so that two groups can be interleaved.
 */
function boxMuller(g: Group): number[][] {
  const [p0, p1, p2, p3, p4, p5, p6, p7, p8] = C.LOG_P as unknown as number[] as [
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
  const [s0, s1, s2] = C.SIN as unknown as [number, number, number];
  const [c0, c1, c2] = C.COS as unknown as [number, number, number];
  const { x, y, t, e, m, k, xm, z, p, r, ang, s, co, sw } = g;
  return [
    // v = float32(x >>> 1) + 0.5, in [0.5, 2³¹]
    [...get(x), ...shrU(1), ...F32X4_CONVERT_I32X4_S, ...f32x4(0.5), ...F32X4_ADD, ...set(t)],
    // e = exponent − 31; m in [1, 2)
    [...get(t), ...shrU(23), ...i32x4(127 + 31), ...I32X4_SUB, ...set(e)],
    [...get(t), ...i32x4(0x007fffff), ...V128_AND, ...i32x4(0x3f800000), ...V128_OR, ...set(m)],
    // m > √2: m/2 and e + 1
    [...get(m), ...f32x4(C.SQRT2), ...F32X4_GT, ...set(k)],
    [...get(m), ...f32x4(0.5), ...F32X4_MUL, ...get(m), ...get(k), ...V128_BITSELECT, ...set(m)],
    [...get(e), ...get(k), ...I32X4_SUB, ...F32X4_CONVERT_I32X4_S, ...set(e)],
    // xm = m − 1, z = xm²
    [...get(m), ...f32x4(1), ...F32X4_SUB, ...set(xm)],
    [...get(xm), ...get(xm), ...F32X4_MUL, ...set(z)],
    // p = polynomial(xm) by Estrin's scheme (a shorter chain than Horner's), with x⁴ in k:
    // x⁴·(P0·x⁴ + (P1·x + P2)·x² + P3·x + P4) + (P5·x + P6)·x² + P7·x + P8
    [...get(z), ...get(z), ...F32X4_MUL, ...set(k)],
    [
      ...[
        ...get(xm),
        ...f32x4(p1),
        ...F32X4_MUL,
        ...f32x4(p2),
        ...F32X4_ADD,
        ...get(z),
        ...F32X4_MUL,
      ],
      ...[...get(xm), ...f32x4(p3), ...F32X4_MUL, ...f32x4(p4), ...F32X4_ADD, ...F32X4_ADD],
      ...[...get(k), ...f32x4(p0), ...F32X4_MUL, ...F32X4_ADD, ...set(p)],
    ],
    [
      ...[
        ...get(xm),
        ...f32x4(p5),
        ...F32X4_MUL,
        ...f32x4(p6),
        ...F32X4_ADD,
        ...get(z),
        ...F32X4_MUL,
      ],
      ...[...get(xm), ...f32x4(p7), ...F32X4_MUL, ...f32x4(p8), ...F32X4_ADD, ...F32X4_ADD],
      ...[...get(p), ...get(k), ...F32X4_MUL, ...F32X4_ADD, ...set(p)],
    ],
    [...get(p), ...get(xm), ...F32X4_MUL, ...get(z), ...F32X4_MUL, ...set(p)],
    [...get(p), ...get(e), ...f32x4(C.LN2_LO), ...F32X4_MUL, ...F32X4_ADD, ...set(p)],
    [...get(p), ...get(z), ...f32x4(-0.5), ...F32X4_MUL, ...F32X4_ADD, ...set(p)],
    [...get(p), ...get(xm), ...F32X4_ADD, ...set(p)],
    [...get(p), ...get(e), ...f32x4(C.LN2_HI), ...F32X4_MUL, ...F32X4_ADD, ...set(p)],
    // r = √(−2 ln u)
    [...get(p), ...f32x4(-2), ...F32X4_MUL, ...F32X4_SQRT, ...set(r)],
    // a = π/2 · i·2⁻²⁴, z = a²
    [
      ...get(y),
      ...shl(2),
      ...shrS(8),
      ...F32X4_CONVERT_I32X4_S,
      ...f32x4(C.ANGLE),
      ...F32X4_MUL,
      ...set(ang),
    ],
    [...get(ang), ...get(ang), ...F32X4_MUL, ...set(z)],
    // sin a
    [...get(z), ...f32x4(s0), ...F32X4_MUL, ...f32x4(s1), ...F32X4_ADD, ...set(s)],
    [...get(s), ...get(z), ...F32X4_MUL, ...f32x4(s2), ...F32X4_ADD, ...set(s)],
    [
      ...get(s),
      ...get(z),
      ...F32X4_MUL,
      ...get(ang),
      ...F32X4_MUL,
      ...get(ang),
      ...F32X4_ADD,
      ...set(s),
    ],
    // cos a
    [...get(z), ...f32x4(c0), ...F32X4_MUL, ...f32x4(c1), ...F32X4_ADD, ...set(co)],
    [...get(co), ...get(z), ...F32X4_MUL, ...f32x4(c2), ...F32X4_ADD, ...set(co)],
    [...get(co), ...get(z), ...F32X4_MUL, ...get(z), ...F32X4_MUL, ...set(co)],
    [
      ...get(co),
      ...get(z),
      ...f32x4(0.5),
      ...F32X4_MUL,
      ...F32X4_SUB,
      ...f32x4(1),
      ...F32X4_ADD,
      ...set(co),
    ],
    // odd quadrant: swap
    [...get(y), ...shl(1), ...shrS(31), ...set(sw)],
    // r·cos θ, its sign bit31 ^ bit30
    [
      ...get(AT),
      ...[...get(r), ...get(s), ...get(co), ...get(sw), ...V128_BITSELECT, ...F32X4_MUL],
      ...[...get(y), ...get(y), ...shl(1), ...V128_XOR, ...i32x4(0x80000000 | 0), ...V128_AND],
      ...[...V128_XOR, ...v128Store(g.at)],
    ],
    // r·sin θ, its sign bit31
    [
      ...get(AT),
      ...[...get(r), ...get(co), ...get(s), ...get(sw), ...V128_BITSELECT, ...F32X4_MUL],
      ...[...get(y), ...i32x4(0x80000000 | 0), ...V128_AND, ...V128_XOR, ...v128Store(g.at + 16)],
    ],
  ];
}

/** The statements of two groups, one of each in turn (independent chains side by side). */
function interleave(a: number[][], b: number[][]): number[] {
  const out: number[] = [];
  for (let i = 0; i < a.length; i++) out.push(...(a[i] as number[]), ...(b[i] as number[]));
  return out;
}

/** `normals(w0, w1, block)`: the block's 2048 draws at byte 0 of the memory. */
function body(): number[] {
  const warm: number[] = [];
  for (let k = 0; k < 8; k++) warm.push(...step(A, null), ...step(B, null));
  return [
    ...vector([
      [1, I32],
      [LOCALS_END - 4, V128],
    ]),
    ...seed(A, 0),
    ...seed(B, 4),
    ...warm,
    ...[...i32(0), ...set(AT)],
    ...[0x03, 0x40], // loop
    ...step(A, G1.x),
    ...step(B, G1.y),
    ...step(A, G2.x),
    ...step(B, G2.y),
    ...interleave(boxMuller(G1), boxMuller(G2)),
    ...[...get(AT), ...i32(64), I32_ADD, ...tee(AT), ...i32(BLOCK_DRAWS * 4), I32_LT_U],
    ...[0x0d, 0], // br_if 0
    0x0b,
    0x0b,
  ];
}

/** Byte offsets of the draws (float32), mu (float32) and sigma (float64) of one block. */
const DRAWS_AT = 0;
const MU_AT = 4 * BLOCK_DRAWS;
const SIGMA_AT = 8 * BLOCK_DRAWS;

/**
 * `scale(count)`: draws[i] = float32(mu[i] + sigma[i]·draws[i]) in float64, for i below `count`
 * rounded up to 4 (the TypeScript `out[i] = mu[i] + sigma[i] * eps[i]`: a float64 multiply and add,
 * then one rounding). Locals: 0 count, 1 the byte offset of 4 draws; v128 2 eps, 3 mu.
 */
function scaleBody(): number[] {
  const half = (low: boolean, sigmaOffset: number): number[] => [
    ...get(3),
    ...(low ? [] : [...get(3), ...HIGH_HALF_DOWN]),
    ...F64X2_PROMOTE_LOW_F32X4,
    ...[...get(1), ...i32(2), I32_MUL, ...v128Load(SIGMA_AT + sigmaOffset)],
    ...get(2),
    ...(low ? [] : [...get(2), ...HIGH_HALF_DOWN]),
    ...[...F64X2_PROMOTE_LOW_F32X4, ...F64X2_MUL, ...F64X2_ADD, ...F32X4_DEMOTE_F64X2_ZERO],
  ];
  return [
    ...vector([
      [1, I32],
      [2, V128],
    ]),
    ...[...get(0), ...i32(4), I32_MUL, ...set(0)],
    ...[...i32(0), ...set(1)],
    ...[0x02, 0x40, 0x03, 0x40], // block, loop
    ...[...get(1), ...get(0), 0x4f, 0x0d, 1], // br_if 1 (at ≥u end)
    ...[...get(1), ...v128Load(DRAWS_AT), ...set(2)],
    ...[...get(1), ...v128Load(MU_AT), ...set(3)],
    ...get(1),
    ...half(true, 0),
    ...half(false, 16),
    ...[...LOW_HALVES, ...v128Store(DRAWS_AT)],
    ...[...get(1), ...i32(16), I32_ADD, ...set(1)],
    ...[0x0c, 0], // br 0
    ...[0x0b, 0x0b, 0x0b],
  ];
}

function moduleBytes(): Uint8Array<ArrayBuffer> {
  return moduleOf([
    { name: 'normals', params: [I32, I32, I32], body: body() },
    { name: 'scale', params: [I32], body: scaleBody() },
  ]);
}

/** The module's functions and its memory's views. */
export interface NormalWasm {
  /** Writes the draws of block `block` of (w0, w1) to {@link draws}. */
  normals(w0: number, w1: number, block: number): void;
  /**
   * `draws[i] = float32(mu[i] + sigma[i]·draws[i])` (float64 arithmetic) for `i < count`, count
   * rounded up to 4 (the lanes beyond `count` hold garbage).
   */
  scale(count: number): void;
  readonly draws: Float32Array;
  readonly mu: Float32Array;
  readonly sigma: Float64Array;
}

function instantiate(): NormalWasm | null {
  if (typeof WebAssembly !== 'object') return null;
  try {
    const bytes = moduleBytes();
    if (!WebAssembly.validate(bytes)) return null;
    const exports = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports;
    const { buffer } = exports.memory as WebAssembly.Memory;
    return {
      normals: exports.normals as NormalWasm['normals'],
      scale: exports.scale as NormalWasm['scale'],
      draws: new Float32Array(buffer, DRAWS_AT, BLOCK_DRAWS),
      mu: new Float32Array(buffer, MU_AT, BLOCK_DRAWS),
      sigma: new Float64Array(buffer, SIGMA_AT, BLOCK_DRAWS),
    };
  } catch {
    return null;
  }
}

/** The module, compiled once per thread; null where WebAssembly SIMD is missing. */
export const normalWasm = instantiate();
