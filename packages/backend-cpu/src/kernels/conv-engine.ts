/**
 * What the three convolution kernels share (`conv2d.ts`, `conv2d-input-grad.ts`,
 * `conv2d-weights-grad.ts`): the geometry, a thread's scratch memory laid out in regions, and the
 * tile kernel over it: WebAssembly SIMD (`conv-wasm.ts`) where the runtime has it, else the same
 * tiles in TypeScript below (tests run both).
 *
 * Each kernel is a matrix product whose operands are read from the tensors without unfolding the
 * image into columns: images are copied, zero-padded, into float32 planes, and a tile's four A
 * values per step are found through a list of byte offsets (taps of four positions, or positions
 * of four taps); B is packed 8 columns per step. Sums are as in `matmul.ts`: in WebAssembly,
 * float32 over blocks of at most 256 steps, the blocks added in float64 (within about 257
 * roundings of ε times Σ|a·b|, where the conformance suite allows the number of terms + 1); in
 * TypeScript, float64 in the reference's order (padding taps add `0·w`: the same, unless a weight
 * is infinite or NaN). Either way rounded once to float32, and an output's bits depend only on
 * the operands, never on the thread count. At stride 1 along rows, `conv-lanes.ts` and
 * `conv-weights-lanes.ts` hold four output positions per vector instead (same sums in blocks).
 */
import type { Conv2dAttrs } from '@illia-ts/core';
import { LANE_TILES, type LanesFunction, lanesTs } from './conv-lanes.js';
import {
  type Col2imFunction,
  convWasm,
  type RowsFunction,
  TILE_BYTES,
  TILE_COLUMNS,
  type TilesFunction,
} from './conv-wasm.js';
import { type WeightsLanesFunction, weightsLanesTs } from './conv-weights-lanes.js';

/** The sizes of one convolution: x [n, c, h, w], weights [o, cg, kh, kw], y [n, o, ho, wo]. */
export interface ConvGeometry {
  readonly n: number;
  readonly c: number;
  readonly h: number;
  readonly w: number;
  readonly o: number;
  readonly kh: number;
  readonly kw: number;
  readonly ho: number;
  readonly wo: number;
  readonly sh: number;
  readonly sw: number;
  readonly ph: number;
  readonly pw: number;
  readonly dh: number;
  readonly dw: number;
  readonly groups: number;
}

/** The geometry of conv2d of `x` with `weights` of these shapes (core has checked them). */
export function convGeometry(
  x: readonly number[],
  weights: readonly number[],
  a: Conv2dAttrs,
): ConvGeometry {
  const [n, c, h, w] = x as [number, number, number, number];
  const [o, , kh, kw] = weights as [number, number, number, number];
  const [sh, sw] = a.stride;
  const [ph, pw] = a.padding;
  const [dh, dw] = a.dilation;
  const ho = Math.floor((h + 2 * ph - dh * (kh - 1) - 1) / sh) + 1;
  const wo = Math.floor((w + 2 * pw - dw * (kw - 1) - 1) / sw) + 1;
  return { n, c, h, w, o, kh, kw, ho, wo, sh, sw, ph, pw, dh, dw, groups: a.groups };
}

/** Derived sizes: per group channels and taps, positions, the padded plane. */
export function derived(g: ConvGeometry) {
  const cg = g.c / g.groups;
  const og = g.o / g.groups;
  const hp = g.h + 2 * g.ph;
  const wp = g.w + 2 * g.pw;
  return { cg, og, kg: cg * g.kh * g.kw, s: g.ho * g.wo, hp, wp, plane: hp * wp };
}

/** Multiply-adds of the convolution (the forward op and each gradient alike). */
export const convMacs = (g: ConvGeometry): number =>
  g.n * g.o * (g.c / g.groups) * g.kh * g.kw * g.ho * g.wo;

/**
 * Byte offsets of named regions, each 16-byte aligned, after the WebAssembly kernel's float64
 * tile ({@link TILE_BYTES}), and the bytes they take in all.
 */
export function regions<K extends string>(
  sizes: Record<K, number>,
): Record<K, number> & { bytes: number } {
  const at = {} as Record<K, number> & { bytes: number };
  let end = TILE_BYTES;
  for (const key of Object.keys(sizes) as K[]) {
    at[key] = end as never;
    end += Math.ceil(sizes[key] / 16) * 16;
  }
  at.bytes = end;
  return at;
}

/** A thread's scratch memory (views of every type over it) and the kernels over it. */
export interface ConvMemory {
  readonly f64: Float64Array;
  readonly f32: Float32Array;
  readonly i32: Int32Array;
  readonly tiles: TilesFunction;
  readonly rows: RowsFunction;
  readonly col2im: Col2imFunction;
  /** `conv-lanes.ts`'s kernel for each of its `LANE_TILES`. */
  readonly lanes: readonly LanesFunction[];
  /** `conv-weights-lanes.ts`'s kernel. */
  readonly wlanes: WeightsLanesFunction;
}

/** The TypeScript memory, kept between calls while at most this many bytes. */
const KEEP_BYTES = 2 ** 22;
let kept: ArrayBuffer = new ArrayBuffer(0);

/** The most scratch bytes: offsets into it are int32 (`>> 2`, WebAssembly's i32 addresses). */
export const MAX_SCRATCH_BYTES = 2 ** 31 - 1;

/**
 * Scratch memory of at least `bytes` (not zeroed) with its tile kernel: WebAssembly's where it
 * exists and `simd` is true (tests turn it off to compare), else TypeScript's. Over
 * {@link MAX_SCRATCH_BYTES}, a RangeError naming `op`.
 */
export function convMemory(bytes: number, op: string, simd = true): ConvMemory {
  if (bytes > MAX_SCRATCH_BYTES) {
    throw new RangeError(
      `${op}: one image needs ${bytes} bytes of scratch (its zero-padded planes in float64, the packed weights, a row of output tiles); the cpu backend handles at most ${MAX_SCRATCH_BYTES}`,
    );
  }
  const wasm = simd ? convWasm(bytes) : null;
  if (wasm !== null) {
    const buffer = wasm.memory.buffer;
    return {
      f64: new Float64Array(buffer),
      f32: new Float32Array(buffer),
      i32: new Int32Array(buffer),
      tiles: wasm.tiles,
      rows: wasm.rows,
      col2im: wasm.col2im,
      lanes: wasm.lanes,
      wlanes: wasm.wlanes,
    };
  }
  let buffer = kept;
  if (buffer.byteLength < bytes) {
    buffer = new ArrayBuffer(Math.ceil(bytes / 8) * 8);
    if (bytes <= KEEP_BYTES) kept = buffer;
  }
  const f64 = new Float64Array(buffer);
  const f32 = new Float32Array(buffer);
  const i32 = new Int32Array(buffer);
  return {
    f64,
    f32,
    i32,
    tiles: (desc, count, aBase, list, k, b, outBase, colStride, mode) =>
      tilesTs(f64, f32, i32, desc, count, aBase, list, k, b, outBase, colStride, mode),
    rows: (kind, src, srcStep, srcRow, dst, dstStep, dstRow, count, length) =>
      rowsTs(f64, f32, kind, src, srcStep, srcRow, dst, dstStep, dstRow, count, length),
    col2im: (col, colRow, list, taps, ho, wo, dstStep, dstRow) => {
      for (let t = 0; t < taps; t++) {
        const at = i32[(list >> 2) + t] as number;
        rowsTs(f64, f32, 2, col + t * colRow, 8, 8 * wo, at, dstStep, dstRow, ho, wo);
      }
    },
    lanes: LANE_TILES.map(
      ([r]) =>
        (...args: Parameters<LanesFunction>) =>
          lanesTs(f64, f32, i32, r, ...args),
    ),
    wlanes: (...args) => weightsLanesTs(f64, f32, i32, ...args),
  };
}

/** `conv-wasm.ts`'s `rows` in TypeScript (byte addresses, as there). */
function rowsTs(
  f64: Float64Array,
  f32: Float32Array,
  kind: number,
  src: number,
  srcStep: number,
  srcRow: number,
  dst: number,
  dstStep: number,
  dstRow: number,
  count: number,
  length: number,
): void {
  for (let r = 0; r < count; r++, src += srcRow, dst += dstRow) {
    for (let j = 0, s = src, d = dst; j < length; j++, s += srcStep, d += dstStep) {
      if (kind === 0) f64[d >> 3] = f32[s >> 2] as number;
      else if (kind === 1) f32[d >> 2] = f64[s >> 3] as number;
      else if (kind === 2) f64[d >> 3] = (f64[d >> 3] as number) + (f64[s >> 3] as number);
      else f32[d >> 2] = f32[s >> 2] as number;
    }
  }
}

/**
 * `conv-wasm.ts`'s `tiles` in TypeScript, over the same float32 operands, summed in float64 from
 * the first step to the last (no blocks): mode 0 stores the sum rounded to float32, mode 2 the
 * float64 sum, and mode 1 continues the float64 there (`((previous + a₀b₀) + a₁b₁) + …`), so
 * that sums continued across calls are one float64 sum in step order.
 */
function tilesTs(
  f64: Float64Array,
  f32: Float32Array,
  i32: Int32Array,
  desc: number,
  count: number,
  aBase: number,
  list: number,
  k: number,
  b: number,
  outBase: number,
  colStride: number,
  mode: number,
): void {
  const acc = new Float64Array(TILE_ROWS * TILE_COLUMNS);
  const size = mode === 0 ? 4 : 8;
  for (let d = desc >> 2, end = d + 5 * count; d < end; d += 5) {
    const a = aBase + (i32[d] as number);
    const rows = [0, i32[d + 1] as number, i32[d + 2] as number, i32[d + 3] as number];
    const out = outBase + (i32[d + 4] as number);
    for (let r = 0; r < TILE_ROWS; r++) {
      for (let c = 0; c < TILE_COLUMNS; c++) {
        acc[TILE_COLUMNS * r + c] =
          mode === 1 ? (f64[(out + c * colStride + r * size) >> 3] as number) : 0;
      }
    }
    for (let r = 0; r < TILE_ROWS; r++) {
      const row = a + (rows[r] as number);
      for (let c = 0; c < TILE_COLUMNS; c++) {
        let sum = acc[TILE_COLUMNS * r + c] as number;
        for (let t = 0, l = list >> 2, bi = (b >> 2) + c; t < k; t++, l++, bi += TILE_COLUMNS) {
          sum += (f32[(row + (i32[l] as number)) >> 2] as number) * (f32[bi] as number);
        }
        acc[TILE_COLUMNS * r + c] = sum;
      }
    }
    for (let r = 0; r < TILE_ROWS; r++) {
      for (let c = 0; c < TILE_COLUMNS; c++) {
        const at = out + c * colStride + r * size;
        if (mode === 0) f32[at >> 2] = acc[TILE_COLUMNS * r + c] as number;
        else f64[at >> 3] = acc[TILE_COLUMNS * r + c] as number;
      }
    }
  }
}

/**
 * Copies channels `[c0, c0 + count)` of image `b` of `x` (NCHW, `channels` per image) into
 * zero-padded float32 planes at byte `at` (planes of hp×wp, the image at row ph, column pw).
 * Only the interior is written: the padding must be zero. With padding, the channels are copied
 * to `stage` (4·count·h·w bytes) in one call, then row by row by `rows` (a `subarray` and `set`
 * per row cost 2.5 ms of 16 channels × 24 rows × 64 images).
 */
export function padImage(
  mem: ConvMemory,
  x: Float32Array,
  g: ConvGeometry,
  channels: number,
  b: number,
  c0: number,
  count: number,
  at: number,
  stage: number,
): void {
  const { h, w, ph, pw } = g;
  const wp = w + 2 * pw;
  const plane = (h + 2 * ph) * wp;
  const from = (b * channels + c0) * h * w;
  if (ph === 0 && pw === 0) {
    mem.f32.set(x.subarray(from, from + count * h * w), at >> 2);
    return;
  }
  mem.f32.set(x.subarray(from, from + count * h * w), stage >> 2);
  for (let c = 0; c < count; c++) {
    const to = at + 4 * (c * plane + ph * wp + pw);
    mem.rows(3, stage + 4 * c * h * w, 4, 4 * w, to, 4, 4 * wp, h, w);
  }
}

/** Byte offsets in a padded float32 plane of each tap (ci, p, q) of a group, in weight order. */
export function tapOffsets(g: ConvGeometry): Int32Array {
  const { cg, kg, wp, plane } = derived(g);
  const taps = new Int32Array(kg);
  let t = 0;
  for (let ci = 0; ci < cg; ci++) {
    for (let p = 0; p < g.kh; p++) {
      for (let q = 0; q < g.kw; q++) taps[t++] = 4 * (ci * plane + p * g.dh * wp + q * g.dw);
    }
  }
  return taps;
}

/** Byte offsets in a padded float32 plane of where each output position's window starts. */
export function positionOffsets(g: ConvGeometry): Int32Array {
  const { s, wp } = derived(g);
  const positions = new Int32Array(s);
  for (let i = 0, pos = 0; i < g.ho; i++) {
    for (let j = 0; j < g.wo; j++) positions[pos++] = 4 * (i * g.sh * wp + j * g.sw);
  }
  return positions;
}

/** Rows of a tile (A values per step), and int32 per tile descriptor (`conv-wasm.ts`). */
export const TILE_ROWS = 4;
export { TILE_COLUMNS };
export const DESC_INTS = 5;

/**
 * The distance between output rows (in elements) of tiles over `s` positions, as
 * {@link writeDescriptors} lays them out: `s`, or 4 where s < 4 (a tile's rows must not land on
 * each other).
 */
export const outputPitch = (s: number): number => Math.max(s, TILE_ROWS);

/** Bytes of the descriptors of tiles over `n` rows. */
export const descBytes = (n: number): number => 4 * DESC_INTS * Math.ceil(n / TILE_ROWS);

/**
 * Writes at `i32[desc/4 …]` the descriptors of tiles whose four A rows are consecutive entries
 * of `offsets`, each tile's output at `outStep` bytes per row from the first; returns how many.
 * The last tile's missing rows repeat its first and store their outputs past its row: it comes
 * first, so that where those outputs land on the next row's start (rows {@link outputPitch}
 * apart, no slack between: 3 more outputs after the last row), the tiles after it overwrite them.
 */
export function writeDescriptors(
  i32: Int32Array,
  desc: number,
  offsets: Int32Array,
  outStep: number,
): number {
  const count = Math.ceil(offsets.length / TILE_ROWS);
  for (let tile = 0; tile < count; tile++) {
    const first = TILE_ROWS * tile;
    const a = offsets[first] as number;
    const d = (desc >> 2) + DESC_INTS * (count - 1 - tile);
    i32[d] = a;
    for (let r = 1; r < TILE_ROWS; r++) {
      i32[d + r] = first + r < offsets.length ? (offsets[first + r] as number) - a : 0;
    }
    i32[d + TILE_ROWS] = first * outStep;
  }
  return count;
}
