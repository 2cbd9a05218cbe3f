/**
 * The convolution micro-kernel in WebAssembly SIMD: a 4×8 tile of float32 sums in eight f32x4
 * accumulators (`acc = acc + a·b` as an f32x4 multiply then an add, never fused), with operand A
 * read where it lies rather than from a packed panel, so that an image is never unfolded into
 * columns (im2col): step t of a tile reads its four A values (float32, splatted) at
 * `a + list[t] + {0, d1, d2, d3}` (byte addresses), so a list of tap offsets walks the taps of four
 * output positions over a zero-padded float32 image, and a list of position offsets walks the
 * positions of four taps. Operand B is a packed panel, 8 float32 per step (two f32x4). This is
 * `matmul-wasm.ts`'s tile (8 accumulators, 2 B halves and 1 A value in the 16 SIMD registers)
 * with A read in place.
 *
 * Accumulation is blocked, as matMul's is: each output is summed in float32, in step order, over
 * blocks of at most {@link CONV_KC} steps, from +0; the blocks' sums are added in float64 (in a
 * float64 tile at byte 0 of the memory, {@link TILE_BYTES}). The error of an output is at most
 * about KC + 1 roundings of ε = 2⁻²⁴ times Σ|a·b|, and its bits depend only on the operands.
 * `conv-engine.ts` holds the tile in TypeScript, for runtimes without WebAssembly SIMD, summing
 * in float64 (the float64 sum, rounded once: not the same bits).
 *
 * One call runs a row of tiles that share their B panel: tile i is described by five int32 at
 * `desc + 20i`: A's base (plus `aBase`), d1, d2, d3, and where its outputs go (plus `outBase`).
 * Output (r, c) of a tile (A row r, B column c) is at `out + c·colStride + r·size`, where `mode`
 * 0 stores float32 (size 4), 1 adds the sum to the float64 there (size 8: a sum continued across
 * calls, `previous + (this call's sum)`), 2 stores float64.
 */

import { LANE_TILES, LANES_PARAMS, type LanesFunction, lanesBody } from './conv-lanes.js';
import {
  type WeightsLanesFunction,
  WLANES_PARAMS,
  weightsLanesBody,
} from './conv-weights-lanes.js';
import {
  addToLocal as add,
  BLOCK,
  br,
  brIf,
  ELSE,
  END,
  F32_DEMOTE_F64,
  F64X2_ADD,
  F64X2_PROMOTE_LOW_F32X4,
  f32Store,
  f64Load,
  f64Store,
  get,
  I32,
  I32_ADD,
  I32_EQ,
  I32_GE_U,
  I32_LT_U,
  I32_MUL,
  IF,
  i32Const,
  i32Load,
  instantiate,
  LOOP,
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

/** At most this much memory (bytes): a larger convolution runs the TypeScript kernel. */
const MAX_BYTES = 2 ** 27;
/** Steps summed in float32 before the sum is added in float64 (as matMul's `KC`). */
export const CONV_KC = 256;
/** Bytes at the start of the memory that the kernel keeps its float64 tile in (4×8). */
export const TILE_BYTES = 256;
/** Columns of B per tile, rows of A per tile. */
export const TILE_COLUMNS = 8;

/** `tiles(desc, count, aBase, list, k, b, outBase, colStride, mode)`: see the module comment. */
export type TilesFunction = (
  desc: number,
  count: number,
  aBase: number,
  list: number,
  k: number,
  b: number,
  outBase: number,
  colStride: number,
  mode: number,
) => void;

/**
 * `rows(kind, src, srcStep, srcRow, dst, dstStep, dstRow, count, length)`: for each of `count`
 * rows (`srcRow`/`dstRow` bytes apart), `length` elements (`srcStep`/`dstStep` bytes apart):
 * kind 0 stores float32 `src` as float64 at `dst`, kind 1 float64 as float32, kind 2 adds float64
 * `src` into float64 `dst`, kind 3 copies float32.
 */
export type RowsFunction = (
  kind: number,
  src: number,
  srcStep: number,
  srcRow: number,
  dst: number,
  dstStep: number,
  dstRow: number,
  count: number,
  length: number,
) => void;

/**
 * `col2im(col, colRow, list, taps, ho, wo, dstStep, dstRow)`: for each of `taps` rows of float64
 * columns (row t at `col + t·colRow`: `ho·wo` values, contiguous), adds value (i, j) into the
 * float64 at `list[t] + i·dstRow + j·dstStep` (`list`: int32 byte addresses); ho, wo ≥ 1. One call
 * per image, where a `rows` call per tap cost more than the adds (400 calls of 64 values each).
 */
export type Col2imFunction = (
  col: number,
  colRow: number,
  list: number,
  taps: number,
  ho: number,
  wo: number,
  dstStep: number,
  dstRow: number,
) => void;

/** The kernels and their memory. */
export interface ConvWasm {
  readonly memory: WebAssembly.Memory;
  readonly tiles: TilesFunction;
  readonly rows: RowsFunction;
  readonly col2im: Col2imFunction;
  /** `conv-lanes.ts`'s kernel for each of its {@link LANE_TILES}. */
  readonly lanes: readonly LanesFunction[];
  /** `conv-weights-lanes.ts`'s kernel. */
  readonly wlanes: WeightsLanesFunction;
}

// Parameters.
const DESC = 0;
const COUNT = 1;
const A_BASE = 2;
const LIST = 3;
const K = 4;
const B = 5;
const OUT_BASE = 6;
const COL_STRIDE = 7;
const MODE = 8;
// i32 locals.
const DESC_END = 9;
const A = 10;
/** d1, d2, d3: where A's rows 1–3 are, from row 0. */
const D = 11;
/** The output addresses of columns 0–7. */
const OUT = 14;
const T = 22;
const T_END = 23;
const BB = 24;
const P = 25;
const BLOCK_END = 26;
const I32_LOCALS = 18;
// v128 locals: accumulators (row r, columns 4h … 4h + 3 at ACC + 2r + h), B's two halves, A.
const ACC = 27;
const B0 = 35;
const B1 = 36;
const AV = 37;
const V128_LOCALS = 11;
/** Rows of A per tile, and bytes per tile descriptor. */
const ROWS = 4;
const DESC_BYTES = 20;
/** Bytes of B per step. */
const B_STEP = 4 * TILE_COLUMNS;

const F32X4_ADD = simd(0xe4);
const F32X4_MUL = simd(0xe6);
const f32x4ExtractLane = (lane: number) => simd(0x1f, lane);
/** v128.load32_splat (align 4) at a byte offset. */
const load32Splat = (offset: number) => simd(0x09, 2, ...leb(offset));
/** i8x16.shuffle of a vector with itself: lanes 2 and 3 of an f32x4 moved to lanes 0 and 1. */
const HIGH_HALF_DOWN = simd(
  0x0d,
  ...[8, 9, 10, 11, 12, 13, 14, 15],
  ...[8, 9, 10, 11, 12, 13, 14, 15],
);
/** v128.load64_zero, f64x2.promote_low_f32x4, f32x4.demote_f64x2_zero, v128.store64_lane 0. */
const LOAD64_ZERO = simd(0x5d, 3, 0);
const DEMOTE_ZERO = simd(0x5e);
const STORE64_LANE0 = simd(0x5b, 3, 0, 0);
const F32_LOAD = [0x2a, 2, 0];
const F64_PROMOTE_F32 = 0xbb;
const F64_ADD = 0xa0;
const SELECT = 0x1b;

/** The output addresses of columns 1–7 from column 0's. */
function columns(): number[] {
  const code: number[] = [];
  for (let c = 1; c < TILE_COLUMNS; c++) {
    code.push(...get(OUT + c - 1), ...get(COL_STRIDE), I32_ADD, ...set(OUT + c));
  }
  return code;
}

/** Sets the eight accumulators to +0. */
function zeroAccumulators(): number[] {
  const code: number[] = [];
  for (let i = 0; i < 2 * ROWS; i++) code.push(...V128_CONST_ZERO, ...set(ACC + i));
  return code;
}

/** Stores +0 over the float64 tile at byte 0. */
function zeroTile(): number[] {
  const code: number[] = [];
  for (let i = 0; i < 16; i++) code.push(...i32Const(0), ...V128_CONST_ZERO, ...v128Store(16 * i));
  return code;
}

/** Adds the accumulators, promoted to float64, to the tile at byte 0 (row r at 64r). */
function addToTile(): number[] {
  const code: number[] = [];
  for (let r = 0; r < ROWS; r++) {
    for (let h = 0; h < 2; h++) {
      const at = 64 * r + 32 * h;
      const c = ACC + 2 * r + h;
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
 * Stores the 32 outputs in `mode` (0 float32, 1 added to float64, 2 float64), each value from
 * the accumulators (`fromTile` false: a single block) or from the float64 tile.
 */
function store(mode: number, fromTile: boolean): number[] {
  const code: number[] = [];
  for (let r = 0; r < ROWS; r++) {
    for (let c = 0; c < TILE_COLUMNS; c++) {
      // The value, float64 where `fromTile` or `mode` > 0, else float32.
      const value = fromTile
        ? [...i32Const(0), ...f64Load(64 * r + 8 * c)]
        : [
            ...get(ACC + 2 * r + (c >> 2)),
            ...f32x4ExtractLane(c & 3),
            ...(mode === 0 ? [] : [F64_PROMOTE_F32]),
          ];
      code.push(...get(OUT + c));
      if (mode === 0)
        code.push(...value, ...(fromTile ? [F32_DEMOTE_F64] : []), ...f32Store(4 * r));
      else if (mode === 2) code.push(...value, ...f64Store(8 * r));
      else code.push(...get(OUT + c), ...f64Load(8 * r), ...value, F64_ADD, ...f64Store(8 * r));
    }
  }
  return code;
}

/** `store` for the call's `mode`. */
function storeByMode(fromTile: boolean): number[] {
  return [
    ...[...get(MODE), 0x45 /* i32.eqz */, ...IF, ...store(0, fromTile), ELSE],
    ...[...get(MODE), ...i32Const(1), I32_EQ, ...IF, ...store(1, fromTile), ELSE],
    ...[...store(2, fromTile), END, END],
  ];
}

/** One step: B's 8 values, then each of A's 4 (splatted) times both halves, into the accumulators. */
function step(): number[] {
  const code = [...get(BB), ...v128Load(0), ...set(B0), ...get(BB), ...v128Load(16), ...set(B1)];
  // p = a + list[t]
  code.push(...get(A), ...get(T), ...i32Load(0), I32_ADD, ...set(P));
  for (let r = 0; r < ROWS; r++) {
    code.push(...get(P), ...(r === 0 ? [] : [...get(D + r - 1), I32_ADD]));
    code.push(...load32Splat(0), ...set(AV));
    for (let h = 0; h < 2; h++) {
      const acc = ACC + 2 * r + h;
      code.push(...get(acc), ...get(AV), ...get(h === 0 ? B0 : B1), ...F32X4_MUL, ...F32X4_ADD);
      code.push(...set(acc));
    }
  }
  return code;
}

function tilesBody(): number[] {
  const multi = [...get(K), ...i32Const(CONV_KC), 0x4b /* i32.gt_u */];
  return [
    ...vector([
      [I32_LOCALS, I32],
      [V128_LOCALS, V128],
    ]),
    // descEnd = desc + 20·count
    ...[...get(DESC), ...get(COUNT), ...i32Const(DESC_BYTES), I32_MUL, I32_ADD, ...set(DESC_END)],
    ...BLOCK,
    ...LOOP,
    ...[...get(DESC), ...get(DESC_END), I32_GE_U, ...brIf(1)],
    ...[...get(A_BASE), ...get(DESC), ...i32Load(0), I32_ADD, ...set(A)],
    ...[...get(DESC), ...i32Load(4), ...set(D)],
    ...[...get(DESC), ...i32Load(8), ...set(D + 1)],
    ...[...get(DESC), ...i32Load(12), ...set(D + 2)],
    ...[...get(OUT_BASE), ...get(DESC), ...i32Load(16), I32_ADD, ...set(OUT)],
    ...[...multi, ...IF, ...zeroTile(), END],
    // t = list, tEnd = list + 4k, bb = b; k ≥ 1, so the tests are at the bottom.
    ...[...get(LIST), ...set(T)],
    ...[...get(LIST), ...get(K), ...i32Const(4), I32_MUL, I32_ADD, ...set(T_END)],
    ...[...get(B), ...set(BB)],
    ...LOOP, // blocks of at most KC steps
    // blockEnd = min(t + 4·KC, tEnd)
    ...[...get(T), ...i32Const(4 * CONV_KC), I32_ADD, ...get(T_END)],
    ...[...get(T), ...i32Const(4 * CONV_KC), I32_ADD, ...get(T_END), I32_LT_U, SELECT],
    ...set(BLOCK_END),
    ...zeroAccumulators(),
    ...LOOP,
    ...step(),
    ...add(T, 4),
    ...add(BB, B_STEP),
    ...[...get(T), ...get(BLOCK_END), I32_LT_U, ...brIf(0)],
    END,
    // Not the last block: its sum into the tile, then the next.
    ...[...get(T), ...get(T_END), I32_LT_U, ...IF, ...addToTile(), ...br(1), END],
    END,
    ...columns(),
    ...[...multi, ...IF, ...addToTile(), ...storeByMode(true), ELSE],
    ...[...storeByMode(false), END],
    ...add(DESC, DESC_BYTES),
    ...br(0),
    END,
    END,
    END,
  ];
}

/**
 * `rows`: params 0 kind, 1 src, 2 srcStep, 3 srcRow, 4 dst, 5 dstStep, 6 dstRow, 7 count,
 * 8 length; locals 9 s, 10 d, 11 end (of the row in dst), 12 rows left.
 */
function rowsBody(): number[] {
  const [KIND, SRC, SRC_STEP, SRC_ROW, DST, DST_STEP, DST_ROW, COUNT, LENGTH] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8,
  ];
  const [S, D, END_, LEFT] = [9, 10, 11, 12];
  /**
   * One row (not empty): where both sides are contiguous (steps `srcSize`, `dstSize`), `pair`
   * moves two elements at a time and `element` the odd one left; otherwise `element` one at a
   * time, at any steps. Both read S and D.
   */
  const row = (srcSize: number, dstSize: number, element: number[], pair: number[]) => [
    ...[...get(SRC), ...set(S), ...get(DST), ...set(D)],
    ...[...get(SRC_STEP), ...i32Const(srcSize), I32_EQ],
    ...[...get(DST_STEP), ...i32Const(dstSize), I32_EQ, 0x71 /* i32.and */, ...IF],
    ...[...get(DST), ...get(LENGTH), ...i32Const(1), 0x76 /* i32.shr_u */],
    ...[...i32Const(2 * dstSize), I32_MUL, I32_ADD, ...set(END_)],
    ...BLOCK,
    ...LOOP,
    ...[...get(D), ...get(END_), I32_EQ, ...brIf(1)],
    ...pair,
    ...add(S, 2 * srcSize),
    ...add(D, 2 * dstSize),
    ...br(0),
    END,
    END,
    ...[...get(LENGTH), ...i32Const(1), 0x71, ...IF, ...element, END],
    ELSE,
    ...[...get(DST), ...get(DST_STEP), ...get(LENGTH), I32_MUL, I32_ADD, ...set(END_)],
    ...LOOP,
    ...element,
    ...[...get(S), ...get(SRC_STEP), I32_ADD, ...set(S)],
    ...[...get(D), ...get(DST_STEP), I32_ADD, ...set(D)],
    ...[...get(D), ...get(END_), 0x47 /* i32.ne */, ...brIf(0)],
    END,
    END,
  ];
  const promote = [...get(D), ...get(S), ...F32_LOAD, F64_PROMOTE_F32];
  const promotePair = [...get(D), ...get(S), ...LOAD64_ZERO, ...F64X2_PROMOTE_LOW_F32X4];
  const demote = [...get(D), ...get(S), ...f64Load(0), F32_DEMOTE_F64, ...f32Store(0)];
  const demotePair = [...get(D), ...get(S), ...v128Load(0), ...DEMOTE_ZERO, ...STORE64_LANE0];
  const addInto = [...get(D), ...get(D), ...f64Load(0), ...get(S), ...f64Load(0)];
  const addPair = [...get(D), ...get(D), ...v128Load(0), ...get(S), ...v128Load(0), ...F64X2_ADD];
  const copy = [...get(D), ...get(S), ...F32_LOAD, ...f32Store(0)];
  const copyPair = [...get(D), ...get(S), 0x29, 2, 0 /* i64.load */, 0x37, 2, 0 /* i64.store */];
  const perKind = [
    ...[...get(KIND), 0x45 /* i32.eqz */, ...IF],
    ...row(4, 8, [...promote, ...f64Store(0)], [...promotePair, ...v128Store(0)]),
    ...[ELSE, ...get(KIND), ...i32Const(1), I32_EQ, ...IF, ...row(8, 4, demote, demotePair), ELSE],
    ...[...get(KIND), ...i32Const(2), I32_EQ, ...IF],
    ...row(8, 8, [...addInto, F64_ADD, ...f64Store(0)], [...addPair, ...v128Store(0)]),
    ...[ELSE, ...row(4, 4, copy, copyPair), END],
    ...[END, END],
  ];
  return [
    ...vector([[4, I32]]),
    // Nothing to do for empty rows (the scalar row loop tests at its bottom).
    ...[...get(LENGTH), 0x45, ...IF, 0x0f /* return */, END],
    ...[...get(COUNT), ...set(LEFT)],
    ...BLOCK,
    ...LOOP,
    ...[...get(LEFT), 0x45, ...brIf(1)],
    ...perKind,
    ...[...get(SRC), ...get(SRC_ROW), I32_ADD, ...set(SRC)],
    ...[...get(DST), ...get(DST_ROW), I32_ADD, ...set(DST)],
    ...[...get(LEFT), ...i32Const(-1), I32_ADD, ...set(LEFT)],
    ...br(0),
    END,
    END,
    END,
  ];
}

/**
 * `col2im`: params 0 col, 1 colRow, 2 list, 3 taps, 4 ho, 5 wo, 6 dstStep, 7 dstRow; locals 8 s,
 * 9 d, 10 list end, 11 rows left, 12 the row's start in dst, 13 its end, 14 the end of its pairs
 * (stride 1).
 */
function col2imBody(): number[] {
  const [COL, COL_ROW, LIST_, TAPS, HO, WO, DST_STEP, DST_ROW] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [S, D, LIST_END, LEFT, ROW, ROW_END, PAIR_END] = [8, 9, 10, 11, 12, 13, 14];
  return [
    ...vector([[7, I32]]),
    ...[...get(LIST_), ...get(TAPS), ...i32Const(4), I32_MUL, I32_ADD, ...set(LIST_END)],
    ...BLOCK,
    ...LOOP, // taps
    ...[...get(LIST_), ...get(LIST_END), I32_GE_U, ...brIf(1)],
    ...[
      ...get(COL),
      ...set(S),
      ...get(LIST_),
      ...i32Load(0),
      ...set(ROW),
      ...get(HO),
      ...set(LEFT),
    ],
    ...LOOP, // rows (ho ≥ 1)
    ...[...get(ROW), ...set(D), ...get(ROW), ...get(WO), ...get(DST_STEP), I32_MUL, I32_ADD],
    ...set(ROW_END),
    // Contiguous rows (stride 1): two values a step in f64x2, then the odd one.
    ...[...get(DST_STEP), ...i32Const(8), I32_EQ, ...IF],
    ...[...get(ROW), ...get(WO), ...i32Const(1), 0x76 /* i32.shr_u */, ...i32Const(16), I32_MUL],
    ...[I32_ADD, ...set(PAIR_END)],
    ...BLOCK,
    ...LOOP,
    ...[...get(D), ...get(PAIR_END), I32_GE_U, ...brIf(1)],
    ...[...get(D), ...get(D), ...v128Load(0), ...get(S), ...v128Load(0), ...F64X2_ADD],
    ...v128Store(0),
    ...add(S, 16),
    ...add(D, 16),
    ...br(0),
    END,
    END,
    ...[...get(WO), ...i32Const(1), 0x71 /* i32.and */, ...IF],
    ...[...get(D), ...get(D), ...f64Load(0), ...get(S), ...f64Load(0), F64_ADD, ...f64Store(0)],
    ...add(S, 8),
    END,
    ELSE,
    ...LOOP, // values (wo ≥ 1)
    ...[...get(D), ...get(D), ...f64Load(0), ...get(S), ...f64Load(0), F64_ADD, ...f64Store(0)],
    ...add(S, 8),
    ...[...get(D), ...get(DST_STEP), I32_ADD, ...set(D)],
    ...[...get(D), ...get(ROW_END), 0x47 /* i32.ne */, ...brIf(0)],
    END,
    END,
    ...[...get(ROW), ...get(DST_ROW), I32_ADD, ...set(ROW)],
    ...[...get(LEFT), ...i32Const(-1), I32_ADD, ...set(LEFT)],
    ...[...get(LEFT), ...brIf(0)],
    END,
    ...[...get(COL), ...get(COL_ROW), I32_ADD, ...set(COL)],
    ...add(LIST_, 4),
    ...br(0),
    END,
    END,
    END,
  ];
}

function moduleBytes(): Uint8Array<ArrayBuffer> {
  const i32s = (n: number) => new Array<number>(n).fill(I32);
  // Memory: 1 page to start, grown on demand.
  return moduleOf([
    { name: 'tiles', params: i32s(9), body: tilesBody() },
    { name: 'rows', params: i32s(9), body: rowsBody() },
    { name: 'col2im', params: i32s(8), body: col2imBody() },
    ...LANE_TILES.map(([r, v], i) => ({
      name: `lanes${i}`,
      params: i32s(LANES_PARAMS),
      body: lanesBody(r, v),
    })),
    { name: 'wlanes', params: i32s(WLANES_PARAMS), body: weightsLanesBody() },
  ]);
}

const exports = instantiate(moduleBytes());
const kernel: ConvWasm | null =
  exports === null
    ? null
    : {
        memory: exports.memory as WebAssembly.Memory,
        tiles: exports.tiles as TilesFunction,
        rows: exports.rows as RowsFunction,
        col2im: exports.col2im as Col2imFunction,
        lanes: LANE_TILES.map((_, i) => exports[`lanes${i}`] as LanesFunction),
        wlanes: exports.wlanes as WeightsLanesFunction,
      };

/**
 * The kernel with at least `bytes` of memory, or null (no SIMD, or more than {@link MAX_BYTES}:
 * the memory of a module never shrinks).
 */
export function convWasm(bytes: number): ConvWasm | null {
  if (kernel === null || bytes > MAX_BYTES) return null;
  const have = kernel.memory.buffer.byteLength;
  if (have < bytes) kernel.memory.grow(Math.ceil((bytes - have) / 65536));
  return kernel;
}
