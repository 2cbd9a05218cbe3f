/**
 * The micro-kernels of `matmul.ts` in WebAssembly SIMD, where the runtime has it: a 4×8 tile of
 * float32 outputs in eight f32x4 accumulators, over packed float32 panels (4 values of op(a) and
 * 8 of op(b) per step). Each step loads op(b)'s 8 values as two f32x4, splats each of op(a)'s 4
 * values, and does `acc = acc + a·b` as an f32x4 multiply then an f32x4 add (WebAssembly SIMD has
 * no fused multiply-add outside relaxed SIMD, whose results vary by machine): 32 multiply-adds in
 * 22 instructions, where the float64 kernel this replaced did 12 in 18.
 *
 * Accumulation is blocked, as a BLAS's is: each output is summed in float32, in step order, over
 * blocks of at most {@link KC} steps, from +0; each block's sum is then added to a float64 tile in
 * memory, which `matmul.ts` rounds once to float32. The error of an output is at most about
 * KC + 1 roundings of ε = 2⁻²⁴ times Σ|a·b| whatever k is (the conformance suite allows k + 1),
 * and its bits depend only on the operands: not on the thread count nor the split of the rows.
 *
 * The module (under 2 KB) is assembled here byte by byte: no toolchain, no file to load, and it
 * compiles synchronously at import, in every thread that runs kernels. Where WebAssembly SIMD is
 * missing, {@link wasmTiles} is null and `matmul.ts` runs its TypeScript kernels (float64).
 */

import {
  instantiate as compile,
  F64X2_ADD,
  F64X2_PROMOTE_LOW_F32X4,
  get,
  I32,
  I32_ADD,
  I32_GE_U,
  I32_LT_U,
  I32_MUL,
  i32Const,
  i32Load,
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

/** Rows of op(a) and columns of op(b) per tile. */
export const WASM_MR = 4;
export const WASM_NR = 8;
/**
 * Steps summed in float32 before the sum is added to the float64 tile: blocks p = 0 … KC − 1,
 * KC … 2·KC − 1, and so on (a power of 2).
 */
export const KC = 256;
/** Bytes of one step of a packed op(a) panel (4 float32) and of op(b) (8 float32). */
const A_STEP = 4 * WASM_MR;
const B_STEP = 4 * WASM_NR;
/**
 * The kernels write their 4×8 float64 tile, row-major, at byte 0 of the memory (256 bytes); the
 * packed panels may start here, after it, 16-byte aligned.
 */
export const PANELS_AT = 256;
/** At most this much memory (bytes): a larger product runs the TypeScript kernels. */
const MAX_BYTES = 2 ** 26;

const F32X4_ADD = simd(0xe4);
const F32X4_MUL = simd(0xe6);
/** i8x16.shuffle of a vector with itself: lanes 2 and 3 of an f32x4 moved to lanes 0 and 1. */
const HIGH_HALF_DOWN = simd(
  0x0d,
  ...[8, 9, 10, 11, 12, 13, 14, 15],
  ...[8, 9, 10, 11, 12, 13, 14, 15],
);
/** v128.load32_splat (align 4) at a byte offset. */
const load32Splat = (offset: number) => simd(0x09, 2, ...leb(offset));
const F32X4_DEMOTE_F64X2_ZERO = simd(0x5e);
/** i8x16.shuffle: lanes 0 and 1 of the first f32x4, then lanes 0 and 1 of the second. */
const LOW_HALVES = simd(0x0d, ...[0, 1, 2, 3, 4, 5, 6, 7], ...[16, 17, 18, 19, 20, 21, 22, 23]);
const SELECT = 0x1b;
const I32_AND = 0x71;

/** The two kernels and their memory. */
export interface WasmTiles {
  readonly memory: WebAssembly.Memory;
  /**
   * The 4×8 tile from the row panel at byte `ap` and the column panel at byte `bp`, over every
   * step p = 0 … k − 1 (k ≥ 1), summed in a float64 tile at byte 0, then stored rounded to
   * float32 at byte `c`, rows `ldc` bytes apart (all 32 outputs: `c` is 16-byte aligned, padded).
   */
  readonly dense: (ap: number, bp: number, k: number, c: number, ldc: number) => void;
  /** The same over the `count` steps (count ≥ 0) listed as int32 from byte `list`. */
  readonly steps: (
    ap: number,
    bp: number,
    list: number,
    count: number,
    c: number,
    ldc: number,
  ) => void;
}

/**
 * One step of the tile: op(b)'s 8 values from byte local `b`, then each of op(a)'s 4 values from
 * byte local `a`, splatted, times both halves, added to the accumulators (locals `acc … acc + 7`,
 * row r's halves at acc + 2r and acc + 2r + 1); `v` is the first of three v128 scratch locals.
 */
function step(a: number, b: number, acc: number, v: number): number[] {
  const code = [...get(b), ...v128Load(0), ...set(v), ...get(b), ...v128Load(16), ...set(v + 1)];
  for (let r = 0; r < WASM_MR; r++) {
    code.push(...get(a), ...load32Splat(4 * r), ...set(v + 2));
    for (let h = 0; h < 2; h++) {
      const c = acc + 2 * r + h;
      code.push(...get(c), ...get(v + 2), ...get(v + h), ...F32X4_MUL, ...F32X4_ADD, ...set(c));
    }
  }
  return code;
}

/** Sets the eight accumulators (locals `acc …`) to +0. */
function zeroAccumulators(acc: number): number[] {
  const code: number[] = [];
  for (let c = 0; c < 8; c++) code.push(...V128_CONST_ZERO, ...set(acc + c));
  return code;
}

/** Stores +0 over the float64 tile at byte 0. */
function zeroTile(): number[] {
  const code: number[] = [];
  for (let i = 0; i < 16; i++) code.push(...i32Const(0), ...V128_CONST_ZERO, ...v128Store(16 * i));
  return code;
}

/** Adds the accumulators (locals `acc …`), promoted to float64, to the tile at byte 0. */
function addToTile(acc: number): number[] {
  const code: number[] = [];
  for (let r = 0; r < WASM_MR; r++) {
    for (let h = 0; h < 2; h++) {
      const at = 64 * r + 32 * h;
      const c = acc + 2 * r + h;
      for (const [offset, lanes] of [
        [at, [] as number[]],
        [at + 16, [...get(c), ...HIGH_HALF_DOWN]],
      ] as const) {
        code.push(...i32Const(0), ...i32Const(0), ...v128Load(offset), ...get(c), ...lanes);
        code.push(...F64X2_PROMOTE_LOW_F32X4, ...F64X2_ADD, ...v128Store(offset));
      }
    }
  }
  return code;
}

/**
 * Stores the float64 tile at byte 0, rounded to float32, as 4 rows of 8 at byte local `c` (row
 * stride: local `ldc`, bytes); `c` is left past the last row.
 */
function storeOut(c: number, ldc: number): number[] {
  const code: number[] = [];
  for (let r = 0; r < WASM_MR; r++) {
    for (let h = 0; h < 2; h++) {
      const at = 64 * r + 32 * h;
      code.push(...get(c), ...i32Const(0), ...v128Load(at), ...F32X4_DEMOTE_F64X2_ZERO);
      code.push(...i32Const(0), ...v128Load(at + 16), ...F32X4_DEMOTE_F64X2_ZERO);
      code.push(...LOW_HALVES, ...v128Store(16 * h));
    }
    code.push(...get(c), ...get(ldc), I32_ADD, ...set(c));
  }
  return code;
}

/** `local = min(local + span, end)` (unsigned), for the end of a block of steps. */
function blockEnd(local: number, span: number, end: number, into: number): number[] {
  return [
    ...[...get(local), ...i32Const(span), I32_ADD],
    ...get(end),
    ...[...get(local), ...i32Const(span), I32_ADD, ...get(end), I32_LT_U],
    SELECT,
    ...set(into),
  ];
}

/**
 * `dense(ap, bp, k, c, ldc)`: params 0–4; locals: 5 end, 6 block end, 7–14 accumulators, 15–17
 * scratch.
 */
function denseBody(): number[] {
  return [
    ...vector([
      [2, I32],
      [11, V128],
    ]),
    ...zeroTile(),
    ...[...get(0), ...get(2), ...i32Const(A_STEP), I32_MUL, I32_ADD, ...set(5)],
    ...[0x03, 0x40], // loop over blocks (k ≥ 1: the tests are at the bottom)
    ...blockEnd(0, KC * A_STEP, 5, 6),
    ...zeroAccumulators(7),
    ...[0x03, 0x40], // loop over the block's steps
    ...step(0, 1, 7, 15),
    ...[...get(0), ...i32Const(A_STEP), I32_ADD, ...set(0)],
    ...[...get(1), ...i32Const(B_STEP), I32_ADD, ...set(1)],
    ...[...get(0), ...get(6), I32_LT_U, 0x0d, 0], // br_if 0 (ap <u block end)
    0x0b,
    ...addToTile(7),
    ...[...get(0), ...get(5), I32_LT_U, 0x0d, 0], // br_if 0 (ap <u end)
    0x0b,
    ...storeOut(3, 4),
    0x0b,
  ];
}

/**
 * `steps(ap, bp, list, count, c, ldc)`: params 0–5; locals: 6 end, 7 p's block limit, 8 a, 9 b
 * (byte addresses of the step), 10–17 accumulators, 18–20 scratch. Blocks are by p, as
 * `dense`'s: a listed step at or past the limit first adds the accumulators to the tile and
 * starts p's block, so the sums are those of `dense` without its zero steps, which add +0 to a
 * float32 sum that is never −0 (it starts at +0): the same bits.
 */
function stepsBody(): number[] {
  return [
    ...vector([
      [4, I32],
      [11, V128],
    ]),
    ...zeroTile(),
    ...zeroAccumulators(10),
    ...[...i32Const(KC), ...set(7)],
    ...[...get(2), ...get(3), ...i32Const(4), I32_MUL, I32_ADD, ...set(6)],
    ...[0x02, 0x40, 0x03, 0x40], // block, loop over the listed steps
    ...[...get(2), ...get(6), I32_GE_U, 0x0d, 1], // br_if 1 (list ≥u end)
    ...[...get(2), ...i32Load(0), ...set(8)], // p = i32.load(list)
    ...[...get(8), ...get(7), I32_GE_U, 0x04, 0x40], // if (p ≥u limit)
    ...addToTile(10),
    ...zeroAccumulators(10),
    ...[...get(8), ...i32Const(-KC), I32_AND, ...i32Const(KC), I32_ADD, ...set(7)],
    0x0b,
    ...[...get(1), ...get(8), ...i32Const(B_STEP), I32_MUL, I32_ADD, ...set(9)],
    ...[...get(0), ...get(8), ...i32Const(A_STEP), I32_MUL, I32_ADD, ...set(8)],
    ...step(8, 9, 10, 18),
    ...[...get(2), ...i32Const(4), I32_ADD, ...set(2)],
    ...[0x0c, 0], // br 0: the next listed step
    ...[0x0b, 0x0b],
    ...addToTile(10),
    ...storeOut(4, 5),
    0x0b,
  ];
}

/** The module's bytes: two functions, one exported memory. */
function moduleBytes(): Uint8Array<ArrayBuffer> {
  // Memory: 1 page to start, grown on demand.
  return moduleOf([
    { name: 'dense', params: new Array<number>(5).fill(I32), body: denseBody() },
    { name: 'steps', params: new Array<number>(6).fill(I32), body: stepsBody() },
  ]);
}

/** The kernels, or null where WebAssembly SIMD is unavailable. */
function instantiate(): WasmTiles | null {
  const exports = compile(moduleBytes());
  if (exports === null) return null;
  return {
    memory: exports.memory as WebAssembly.Memory,
    dense: exports.dense as WasmTiles['dense'],
    steps: exports.steps as WasmTiles['steps'],
  };
}

const tiles = instantiate();

/**
 * The kernels with at least `bytes` of memory, or null (no SIMD, or more than {@link MAX_BYTES}:
 * the memory of a module never shrinks).
 */
export function wasmTiles(bytes: number): WasmTiles | null {
  if (tiles === null || bytes > MAX_BYTES) return null;
  const have = tiles.memory.buffer.byteLength;
  if (have < bytes) tiles.memory.grow(Math.ceil((bytes - have) / 65536));
  return tiles;
}
