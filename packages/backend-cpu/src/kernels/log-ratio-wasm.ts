/**
 * The sum at the heart of `gaussianLogRatio` in WebAssembly SIMD: over a block,
 * `Σ [((x − priorMu)·priorInv)² − ((x − mu)/σ)²]` in float64, two f64x2 accumulators, so element i
 * is added in lane `i mod 4`. {@link quadLanesTs} is the same sum in TypeScript (where
 * WebAssembly SIMD is missing, and for the tests), with the same four partial sums in the same
 * order and every step one IEEE float64 operation, so both give bitwise the same numbers.
 * {@link combineLanes} adds the four as both do.
 *
 * Why WebAssembly: the loop reads three typed arrays that V8 cannot treat as constants, and their
 * checks cost more than the divide (2.6 against 1.5 ns per element in TypeScript, one thread,
 * 1e6 elements); here the block's x, mu and σ are copied in and read without checks.
 */
import {
  F64,
  F64X2_ADD,
  F64X2_DIV,
  F64X2_MUL,
  F64X2_PROMOTE_LOW_F32X4,
  F64X2_SUB,
  f64x2Splat,
  get,
  I32,
  I32_ADD,
  I32_GE_U,
  I32_SHL,
  i32Const,
  instantiate,
  leb,
  moduleOf,
  set,
  simd,
  V128,
  V128_CONST_ZERO,
  v128Load,
  v128Store,
  vector,
} from './wasm-assembler.js';

/** Elements per block (`random-normal.ts`'s BLOCK). */
export const QUAD_BLOCK = 2048;

/** `v128.load64_zero` (align 8): two float32s into the low half. */
const load64Zero = (offset: number) => simd(0x5d, 3, ...leb(offset));

/** Byte offsets of x (float32), mu (float32), σ (float64) and the four lane sums (float64). */
const X_AT = 0;
const MU_AT = 4 * QUAD_BLOCK;
const SIGMA_AT = 8 * QUAD_BLOCK;
const LANES_AT = 16 * QUAD_BLOCK;

/**
 * `quad(fours, priorMu, priorInv)`: the sums of the first `4·fours` elements, lanes 0–3 written
 * to LANES_AT. Params 0 fours, 1 priorMu, 2 priorInv; locals 3 the pair index p (elements 2p,
 * 2p+1), 4–5 the accumulators, 6 priorMu and 7 priorInv splatted, 8 x of a pair.
 */
function quadBody(): number[] {
  // Of pair p (on the stack as p): acc += zp² − z², z = (x − mu)/σ, zp = (x − priorMu)·priorInv.
  const pair = (acc: number, pairOffset: number): number[] => [
    ...[...get(3), ...i32Const(3), I32_SHL, ...load64Zero(X_AT + 8 * pairOffset)],
    ...[...F64X2_PROMOTE_LOW_F32X4, ...set(8)],
    ...get(acc),
    ...[...get(8), ...get(6), ...F64X2_SUB, ...get(7), ...F64X2_MUL],
    ...[...get(8), ...get(6), ...F64X2_SUB, ...get(7), ...F64X2_MUL, ...F64X2_MUL],
    ...get(8),
    ...[...get(3), ...i32Const(3), I32_SHL, ...load64Zero(MU_AT + 8 * pairOffset)],
    ...[...F64X2_PROMOTE_LOW_F32X4, ...F64X2_SUB],
    ...[...get(3), ...i32Const(4), I32_SHL, ...v128Load(SIGMA_AT + 16 * pairOffset)],
    ...F64X2_DIV,
    ...set(9),
    ...[...get(9), ...get(9), ...F64X2_MUL, ...F64X2_SUB, ...F64X2_ADD, ...set(acc)],
  ];
  return [
    ...vector([
      [1, I32],
      [6, V128],
    ]),
    ...[...V128_CONST_ZERO, ...set(4), ...V128_CONST_ZERO, ...set(5)],
    ...[...get(1), ...f64x2Splat, ...set(6), ...get(2), ...f64x2Splat, ...set(7)],
    ...[...get(0), ...i32Const(1), I32_SHL, ...set(0)], // fours → pairs
    ...[0x02, 0x40, 0x03, 0x40], // block, loop
    ...[...get(3), ...get(0), I32_GE_U, 0x0d, 1], // br_if 1 (p ≥u pairs)
    ...pair(4, 0),
    ...pair(5, 1),
    ...[...get(3), ...i32Const(2), I32_ADD, ...set(3)],
    ...[0x0c, 0], // br 0
    ...[0x0b, 0x0b],
    ...[...i32Const(0), ...get(4), ...v128Store(LANES_AT)],
    ...[...i32Const(0), ...get(5), ...v128Store(LANES_AT + 16)],
    0x0b,
  ];
}

function moduleBytes(): Uint8Array<ArrayBuffer> {
  return moduleOf([{ name: 'quad', params: [I32, F64, F64], body: quadBody() }]);
}

/** The module's function and its memory's views. */
export interface QuadWasm {
  /** Sums elements `[0, 4·fours)` of {@link x}, {@link mu}, {@link sigma} into {@link lanes}. */
  quad(fours: number, priorMu: number, priorInv: number): void;
  readonly x: Float32Array;
  readonly mu: Float32Array;
  readonly sigma: Float64Array;
  /** Lane i's sum: elements ≡ i (mod 4). */
  readonly lanes: Float64Array;
}

function compile(): QuadWasm | null {
  const exports = instantiate(moduleBytes());
  if (exports === null) return null;
  const { buffer } = exports.memory as WebAssembly.Memory;
  return {
    quad: exports.quad as QuadWasm['quad'],
    x: new Float32Array(buffer, X_AT, QUAD_BLOCK),
    mu: new Float32Array(buffer, MU_AT, QUAD_BLOCK),
    sigma: new Float64Array(buffer, SIGMA_AT, QUAD_BLOCK),
    lanes: new Float64Array(buffer, LANES_AT, 4),
  };
}

/** The module, compiled once per thread; null where WebAssembly SIMD is missing. */
export const quadWasm = compile();

/**
 * Adds elements `[from, to)` to the lane sums `lanes` (element i, counted from the block's
 * first, into lane `i mod 4`): the TypeScript of the module's loop, in the same order.
 */
export function quadLanesTs(
  x: Float32Array,
  mu: Float32Array,
  s: Float64Array,
  from: number,
  to: number,
  priorMu: number,
  priorInv: number,
  lanes: Float64Array,
): void {
  for (let i = from; i < to; i++) {
    const xi = x[i] as number;
    const z = (xi - (mu[i] as number)) / (s[i] as number);
    const zp = (xi - priorMu) * priorInv;
    lanes[i & 3] = (lanes[i & 3] as number) + (zp * zp - z * z);
  }
}

/** The block's sum from its four lane sums: lanes added pairwise as the f64x2 registers are. */
export const combineLanes = (lanes: Float64Array): number =>
  (lanes[0] as number) + (lanes[2] as number) + ((lanes[1] as number) + (lanes[3] as number));
