/**
 * A direct convolution with output positions in the SIMD lanes, for stride 1 along rows: four
 * consecutive outputs of a row are one f32x4, each step loads the input's four values under them
 * (one unaligned v128 load per vector, from a zero-padded float32 plane) and splats one weight per
 * output channel. A tile is R output channels × V vectors of a row (R·V f32x4 accumulators), and
 * its outputs are stored as whole vectors: no lanes extracted, which the 4×8 tiles of
 * `conv-wasm.ts` pay 32 times per tile, as much as the products where a sum has 25 terms (the
 * 1-channel layer: 5×5 taps forward; 16 output channels in x's gradient's columns). x's
 * gradient's columns (`conv2d-input-grad.ts`) run it with taps for channels, dy's channels for
 * steps and an image's positions as one row.
 *
 * Sums as the tiles': float32 from +0 in step order (an f32x4 multiply then an add), the caller
 * cutting the steps into blocks of at most `CONV_KC` and adding the blocks in float64 (`mode`);
 * in TypeScript ({@link lanesTs}) float64 in step order, rounded once.
 *
 * `lanes(src, srcRow, list, k, w, wBlock, blocks, out, outChannel, outRow, rows, vecs, mode)`, all
 * byte addresses and sizes: for each block b of R output channels (weights at `w + b·wBlock`, R
 * float32 per step), each row i < `rows` and each vector v < `vecs` of that row, output lanes
 * `out + (b·R + r)·outChannel + i·outRow + v·16·size` (size 1 in mode 0, 2 otherwise) receive
 * Σ_t w[b][t][r] · (the four float32 at `src + i·srcRow + 16v + list[t]`), t < k ≥ 1. Mode 0
 * stores float32, 2 float64, 1 adds to the float64 there. Rows hold 4·vecs outputs: the caller
 * leaves room for the lanes past the row's end, and 12 bytes readable past the input.
 */
import {
  addToLocal as add,
  BLOCK,
  br,
  brIf,
  ELSE,
  END,
  F64X2_ADD,
  F64X2_PROMOTE_LOW_F32X4,
  get,
  I32,
  I32_ADD,
  I32_EQZ,
  I32_LT_U,
  I32_MUL,
  I32_REM_U,
  I32_SHL,
  I32_SUB,
  IF,
  i32Const,
  i32Load,
  LOOP,
  leb,
  set,
  simd,
  V128,
  V128_CONST_ZERO,
  vector,
} from './wasm-assembler.js';

/** `lanes(…)`: see the module comment. */
export type LanesFunction = (
  src: number,
  srcRow: number,
  list: number,
  k: number,
  w: number,
  wBlock: number,
  blocks: number,
  out: number,
  outChannel: number,
  outRow: number,
  rows: number,
  vecs: number,
  mode: number,
) => void;

/**
 * The tiles compiled, [R channels, V vectors]: 4×2 where there are channels to share the input's
 * loads, 1×7 for one output channel.
 */
export const LANE_TILES: readonly (readonly [number, number])[] = [
  [4, 2],
  [1, 7],
];

/** Parameters of the function, in order. */
export const LANES_PARAMS = 13;

// Parameters.
const SRC = 0;
const SRC_ROW = 1;
const LIST = 2;
const K = 3;
const W = 4;
const W_BLOCK = 5;
const BLOCKS = 6;
const OUT = 7;
const OUT_CHANNEL = 8;
const OUT_ROW = 9;
const ROWS = 10;
const VECS = 11;
const MODE = 12;
// i32 locals.
const BLK = 13;
const WB = 14;
const OB = 15;
const ROW_SRC = 16;
const ROW_OUT = 17;
const I = 18;
const U = 19;
const FULL_END = 20;
const T = 21;
const T_END = 22;
const WP = 23;
const P = 24;
const A = 25;
const O = 26;
const SHIFT = 27;
const I32_LOCALS = 15;
const ACC = 28;

const F32X4_ADD = simd(0xe4);
const F32X4_MUL = simd(0xe6);
/** v128.load / store with alignment hint 4 bytes (the input's vectors are unaligned). */
const load = (offset: number) => simd(0x00, 2, ...leb(offset));
const store = (offset: number) => simd(0x0b, 2, ...leb(offset));
const load32Splat = (offset: number) => simd(0x09, 2, ...leb(offset));
const HIGH_HALF_DOWN = simd(
  0x0d,
  ...[8, 9, 10, 11, 12, 13, 14, 15],
  ...[8, 9, 10, 11, 12, 13, 14, 15],
);

/** The body of `lanes` for tiles of `r` channels × `v` vectors (r·v + r + 1 ≤ 15 registers). */
export function lanesBody(r: number, v: number): number[] {
  const acc = (c: number, u: number) => ACC + c * v + u;
  const WV = ACC + r * v;
  const XV = WV + r;
  /** One tile of `vs` ≤ v vectors at the row's vector U (bytes). */
  const tile = (vs: number): number[] => {
    const code: number[] = [];
    for (let c = 0; c < r; c++)
      for (let u = 0; u < vs; u++) code.push(...V128_CONST_ZERO, ...set(acc(c, u)));
    code.push(...get(LIST), ...set(T), ...get(WB), ...set(WP));
    code.push(...get(ROW_SRC), ...get(U), I32_ADD, ...set(A));
    code.push(...LOOP);
    code.push(...get(A), ...get(T), ...i32Load(0), I32_ADD, ...set(P));
    for (let c = 0; c < r; c++) code.push(...get(WP), ...load32Splat(4 * c), ...set(WV + c));
    for (let u = 0; u < vs; u++) {
      code.push(...get(P), ...load(16 * u), ...set(XV));
      for (let c = 0; c < r; c++) {
        code.push(...get(acc(c, u)), ...get(WV + c), ...get(XV), ...F32X4_MUL, ...F32X4_ADD);
        code.push(...set(acc(c, u)));
      }
    }
    code.push(...add(T, 4), ...add(WP, 4 * r));
    code.push(...get(T), ...get(T_END), I32_LT_U, ...brIf(0), END);
    // Stores: o = rowOut + (U << shift) + c·outChannel.
    const at = (c: number) => [
      ...get(O),
      ...(c === 0 ? [] : [...get(OUT_CHANNEL), ...i32Const(c), I32_MUL, I32_ADD]),
    ];
    code.push(...get(ROW_OUT), ...get(U), ...get(SHIFT), I32_SHL, I32_ADD, ...set(O));
    const f32: number[] = [];
    const f64 = (addTo: boolean) => {
      const out: number[] = [];
      for (let c = 0; c < r; c++)
        for (let u = 0; u < vs; u++)
          for (const [half, lanes] of [
            [0, [] as number[]],
            [16, [...get(acc(c, u)), ...HIGH_HALF_DOWN]],
          ] as const) {
            out.push(...at(c), ...get(acc(c, u)), ...lanes, ...F64X2_PROMOTE_LOW_F32X4);
            if (addTo) out.push(...at(c), ...load(32 * u + half), ...F64X2_ADD);
            out.push(...store(32 * u + half));
          }
      return out;
    };
    for (let c = 0; c < r; c++)
      for (let u = 0; u < vs; u++) f32.push(...at(c), ...get(acc(c, u)), ...store(16 * u));
    code.push(...get(MODE), I32_EQZ, ...IF, ...f32, ELSE);
    code.push(...get(MODE), ...i32Const(1), 0x46 /* i32.eq */, ...IF, ...f64(true), ELSE);
    code.push(...f64(false), END, END);
    return code;
  };
  const tails: number[] = [];
  // vecs % v = 1 … v − 1: one shorter tile at the row's end.
  for (let vs = 1; vs < v; vs++) {
    tails.push(...get(VECS), ...i32Const(v), I32_REM_U, ...i32Const(vs), 0x46, ...IF);
    tails.push(...tile(vs), END);
  }
  return [
    ...vector([
      [I32_LOCALS, I32],
      [r * v + r + 1, V128],
    ]),
    ...[...get(MODE), ...i32Const(0), 0x47 /* i32.ne */, ...set(SHIFT)],
    ...[...get(LIST), ...get(K), ...i32Const(4), I32_MUL, I32_ADD, ...set(T_END)],
    // fullEnd = 16·(vecs − vecs % v): the bytes of the row's full tiles.
    ...[...get(VECS), ...get(VECS), ...i32Const(v), I32_REM_U, I32_SUB],
    ...[...i32Const(16), I32_MUL, ...set(FULL_END)],
    ...[...get(W), ...set(WB), ...get(OUT), ...set(OB), ...i32Const(0), ...set(BLK)],
    ...LOOP, // blocks of r channels
    ...[...get(SRC), ...set(ROW_SRC), ...get(OB), ...set(ROW_OUT), ...i32Const(0), ...set(I)],
    ...LOOP, // rows
    ...[...i32Const(0), ...set(U)],
    ...BLOCK,
    ...LOOP, // full tiles
    ...[...get(U), ...get(FULL_END), 0x4f /* i32.ge_u */, ...brIf(1)],
    ...tile(v),
    ...add(U, 16 * v),
    ...br(0),
    END,
    END,
    ...tails,
    ...[...get(ROW_SRC), ...get(SRC_ROW), I32_ADD, ...set(ROW_SRC)],
    ...[...get(ROW_OUT), ...get(OUT_ROW), I32_ADD, ...set(ROW_OUT)],
    ...add(I, 1),
    ...[...get(I), ...get(ROWS), I32_LT_U, ...brIf(0)],
    END,
    ...[...get(OB), ...get(OUT_CHANNEL), ...i32Const(r), I32_MUL, I32_ADD, ...set(OB)],
    ...[...get(WB), ...get(W_BLOCK), I32_ADD, ...set(WB)],
    ...add(BLK, 1),
    ...[...get(BLK), ...get(BLOCKS), I32_LT_U, ...brIf(0)],
    END,
    END,
  ];
}

/** `lanes` in TypeScript over the same memory, for tiles of `r` channels, summed in float64. */
export function lanesTs(
  f64: Float64Array,
  f32: Float32Array,
  i32: Int32Array,
  r: number,
  ...[
    src,
    srcRow,
    list,
    k,
    w,
    wBlock,
    blocks,
    out,
    outChannel,
    outRow,
    rows,
    vecs,
    mode,
  ]: Parameters<LanesFunction>
): void {
  const size = mode === 0 ? 4 : 8;
  for (let b = 0; b < blocks; b++) {
    for (let c = 0; c < r; c++) {
      const channel = out + (b * r + c) * outChannel;
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < 4 * vecs; j++) {
          const at = channel + i * outRow + j * size;
          let sum = mode === 1 ? (f64[at >> 3] as number) : 0;
          const a = src + i * srcRow + 4 * j;
          for (let t = 0; t < k; t++) {
            const x = f32[(a + (i32[(list >> 2) + t] as number)) >> 2] ?? 0;
            sum += x * (f32[(w + b * wBlock + 4 * (r * t + c)) >> 2] as number);
          }
          if (mode === 0) f32[at >> 2] = sum;
          else f64[at >> 3] = sum;
        }
      }
    }
  }
}
