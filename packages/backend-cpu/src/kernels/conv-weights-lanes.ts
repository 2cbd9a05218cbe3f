/**
 * conv2d's weights' gradient with positions in the SIMD lanes, for stride 1 along rows and rows
 * of whole vectors (wo a multiple of 4): `dW[o, t] = Σ_pos dy[o, pos] · x[pos + tap t]`, where
 * dy's four consecutive positions are one f32x4 read in place and x's four values under them one
 * unaligned load from the zero-padded float32 plane. A tile is {@link R} channels ×
 * {@link T} taps of f32x4 accumulators: each lane sums every fourth position (an f32x4 multiply
 * then an add, from +0, in position order); at the tile's end its lanes l are added in float64
 * as `(l₀ + l₂) + (l₁ + l₃)` to the float64 at the output. No transposition of dy (which the 4×8
 * tiles need, 8 channels a position) and no extracted lanes.
 *
 * `wlanes(x, xRow, dy, dyChannel, list, tapBlocks, blocks, rows, vecs, out, outChannel)`, byte
 * addresses and sizes: for each block b of R channels (dy of channel b·R + r at
 * `dy + (b·R + r)·dyChannel`, `rows·vecs` vectors, contiguous), each block u of T taps (offsets
 * `list[u·T + t]`), adds to the float64 at `out + (b·R + r)·outChannel + 8·(u·T + t)` the sum over
 * rows i and vectors v of dy's vector `i·vecs + v` times x's four float32 at
 * `x + i·xRow + 16v + list[u·T + t]`. rows, vecs ≥ 1; the caller keeps rows·vecs ≤ `CONV_KC`
 * (the float32 block), and the list padded to whole blocks of T.
 */
import {
  addToLocal as add,
  brIf,
  END,
  F64X2_ADD,
  F64X2_PROMOTE_LOW_F32X4,
  f64Load,
  f64Store,
  f64x2ExtractLane,
  get,
  I32,
  I32_ADD,
  I32_LT_U,
  I32_MUL,
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

/** Channels and taps per tile. */
export const R = 4;
export const T = 2;

/** `wlanes(…)`: see the module comment. */
export type WeightsLanesFunction = (
  x: number,
  xRow: number,
  dy: number,
  dyChannel: number,
  list: number,
  tapBlocks: number,
  blocks: number,
  rows: number,
  vecs: number,
  out: number,
  outChannel: number,
) => void;

export const WLANES_PARAMS = 11;

// Parameters.
const X = 0;
const X_ROW = 1;
const DY = 2;
const DY_CHANNEL = 3;
const LIST = 4;
const TAP_BLOCKS = 5;
const BLOCKS = 6;
const ROWS = 7;
const VECS = 8;
const OUT = 9;
const OUT_CHANNEL = 10;
// i32 locals.
const BLK = 11;
const UB = 12;
const DYB = 13; // dy of the block's first channel
const OB = 14; // out of the block's first channel
const LP = 15; // list of the tap block
const I = 16;
const ROW_X = 17;
const V = 18;
const PDY = 19;
const XA = 20;
const OFF = 21; // T tap offsets
const DOFF = OFF + T; // R channel offsets of dy
const I32_LOCALS = DOFF + R - BLK;
const ACC = DOFF + R;
const XV = ACC + R * T;
const DV = XV + T;
const V128_LOCALS = R * T + T + 1;

const F32X4_ADD = simd(0xe4);
const F32X4_MUL = simd(0xe6);
const load = (offset: number) => simd(0x00, 2, ...leb(offset));
const HIGH_HALF_DOWN = simd(
  0x0d,
  ...[8, 9, 10, 11, 12, 13, 14, 15],
  ...[8, 9, 10, 11, 12, 13, 14, 15],
);

export function weightsLanesBody(): number[] {
  const acc = (r: number, t: number) => ACC + r * T + t;
  const code: number[] = [
    ...vector([
      [I32_LOCALS, I32],
      [V128_LOCALS, V128],
    ]),
  ];
  for (let r = 1; r < R; r++)
    code.push(...get(DY_CHANNEL), ...i32Const(r), I32_MUL, ...set(DOFF + r));
  code.push(...get(DY), ...set(DYB), ...get(OUT), ...set(OB), ...i32Const(0), ...set(BLK));
  code.push(...LOOP); // channel blocks
  code.push(...get(LIST), ...set(LP), ...i32Const(0), ...set(UB));
  code.push(...LOOP); // tap blocks
  for (let t = 0; t < T; t++) code.push(...get(LP), ...i32Load(4 * t), ...set(OFF + t));
  for (let r = 0; r < R; r++)
    for (let t = 0; t < T; t++) code.push(...V128_CONST_ZERO, ...set(acc(r, t)));
  code.push(...get(X), ...set(ROW_X), ...get(DYB), ...set(PDY), ...i32Const(0), ...set(I));
  code.push(...LOOP); // rows
  code.push(...get(ROW_X), ...set(XA), ...i32Const(0), ...set(V));
  /** One vector's products, `offset` bytes past XA and PDY. */
  const step = (offset: number) => {
    for (let t = 0; t < T; t++)
      code.push(...get(XA), ...get(OFF + t), I32_ADD, ...load(offset), ...set(XV + t));
    for (let r = 0; r < R; r++) {
      code.push(...get(PDY), ...(r === 0 ? [] : [...get(DOFF + r), I32_ADD]));
      code.push(...load(offset), ...set(DV));
      for (let t = 0; t < T; t++) {
        code.push(...get(acc(r, t)), ...get(DV), ...get(XV + t), ...F32X4_MUL, ...F32X4_ADD);
        code.push(...set(acc(r, t)));
      }
    }
  };
  code.push(...LOOP); // vectors
  step(0);
  code.push(...add(XA, 16), ...add(PDY, 16), ...add(V, 1));
  code.push(...get(V), ...get(VECS), I32_LT_U, ...brIf(0), END);
  code.push(...get(ROW_X), ...get(X_ROW), I32_ADD, ...set(ROW_X), ...add(I, 1));
  code.push(...get(I), ...get(ROWS), I32_LT_U, ...brIf(0), END);
  // out[r][u·T + t] += (l0 + l2) + (l1 + l3).
  for (let r = 0; r < R; r++) {
    for (let t = 0; t < T; t++) {
      const at = [
        ...get(OB),
        ...(r === 0 ? [] : [...get(OUT_CHANNEL), ...i32Const(r), I32_MUL, I32_ADD]),
        ...get(UB),
        ...i32Const(8 * T),
        I32_MUL,
        I32_ADD,
      ];
      const a = acc(r, t);
      code.push(...at, ...at, ...f64Load(8 * t));
      code.push(...get(a), ...F64X2_PROMOTE_LOW_F32X4);
      code.push(...get(a), ...get(a), ...HIGH_HALF_DOWN, ...F64X2_PROMOTE_LOW_F32X4, ...F64X2_ADD);
      code.push(...set(XV));
      code.push(...get(XV), ...f64x2ExtractLane(0), ...get(XV), ...f64x2ExtractLane(1));
      code.push(0xa0 /* f64.add */, 0xa0, ...f64Store(8 * t));
    }
  }
  code.push(...add(LP, 4 * T), ...add(UB, 1));
  code.push(...get(UB), ...get(TAP_BLOCKS), I32_LT_U, ...brIf(0), END);
  code.push(...get(DYB), ...get(DY_CHANNEL), ...i32Const(R), I32_MUL);
  code.push(I32_ADD, ...set(DYB));
  code.push(...get(OB), ...get(OUT_CHANNEL), ...i32Const(R), I32_MUL, I32_ADD, ...set(OB));
  code.push(...add(BLK, 1), ...get(BLK), ...get(BLOCKS), I32_LT_U, ...brIf(0), END);
  code.push(END);
  return code;
}

/**
 * `wlanes` in TypeScript over the same memory: each output's float64 sum continued over the
 * positions in order (rows, then the vectors' lanes in turn).
 */
export function weightsLanesTs(
  f64: Float64Array,
  f32: Float32Array,
  i32: Int32Array,
  ...[
    x,
    xRow,
    dy,
    dyChannel,
    list,
    tapBlocks,
    blocks,
    rows,
    vecs,
    out,
    outChannel,
  ]: Parameters<WeightsLanesFunction>
): void {
  for (let c = 0; c < R * blocks; c++) {
    for (let t = 0; t < T * tapBlocks; t++) {
      const at = (out + c * outChannel + 8 * t) >> 3;
      const off = i32[(list >> 2) + t] as number;
      let sum = f64[at] as number;
      for (let i = 0, d = (dy + c * dyChannel) >> 2; i < rows; i++) {
        for (let j = 0; j < 4 * vecs; j++, d++) {
          sum += (f32[d] as number) * (f32[(x + i * xRow + 4 * j + off) >> 2] as number);
        }
      }
      f64[at] = sum;
    }
  }
}
