/**
 * The matrix product `op(a) · op(b)` of row-major 2-D float32 operands.
 *
 * Where the runtime has WebAssembly SIMD, the tiles run in `matmul-wasm.ts`: 4×8 outputs in
 * f32x4 registers, summed in float32 over blocks of at most `KC` (256) steps p in order, the
 * blocks' sums added in float64 and rounded once to float32, as a BLAS accumulates (in float32,
 * blocked); within about KC + 1 roundings of ε times Σ|a·b| of the float64 sum. Elsewhere (no
 * SIMD) the TypeScript kernels below compute the plain float64 sum `Σₚ op(a)[i, p] · op(b)[p, j]`
 * for p = 0, 1, …, k − 1 from +0, rounded once to float32. Either way an output's bits depend
 * only on the operands: not on the thread count nor on the split of the rows.
 *
 * How it is fast:
 * - A register-blocked micro-kernel computes a tile of outputs in local accumulators: 4×8 float32
 *   in eight f32x4 (WebAssembly), or 4×3 float64 in 12 locals that V8 keeps in registers
 *   (TypeScript: V8 does not vectorise; 4×4 spills, x64 has 16). Each step over p loads a few
 *   operands for many multiply-adds, where a row-at-a-time product loads and stores an
 *   accumulator per multiply-add.
 * - Both operands are packed first into panels, interleaved so that the micro-kernel reads each
 *   panel front to back: {@link MR} rows of op(a) as `[p·MR + r]`, NR columns of op(b) as
 *   `[p·NR + c]` (float32 for the WebAssembly kernels, float64 for the TypeScript ones). Packing
 *   reads `a` and `b` transposed or not, so no transposed copy is ever made.
 * - Rows are taken in blocks whose packed panels fit in L2 cache ({@link PACKED_A_BYTES}); one
 *   panel of op(b) stays in L1 while every row panel of the block passes over it.
 * - Steps where a whole panel of op(a) or of op(b) is zero (pixels at an image's border, ReLU
 *   outputs) are skipped through a list of the others. That is exact: such a step adds ±0 to a sum
 *   that started at +0, which leaves it unchanged, provided the other factors are finite; a pack
 *   that holds an infinity or a NaN turns skipping off, so those propagate as in the reference.
 *
 * A job's unit of work is a panel of {@link MR} rows ({@link matMulPanels}): the rows can be split
 * between threads at any panel boundary and every output element is computed the same way.
 */

import type { MatMulAttrs } from '@illia-ts/core';
import { type CpuKernel, floats } from './context.js';
import { PANELS_AT, WASM_NR, wasmTiles } from './matmul-wasm.js';

/** Rows of op(a) per micro-tile (both kernels). */
const MR = 4;
/** Columns of op(b) per micro-tile of the TypeScript kernels (`WASM_NR` for WebAssembly's). */
const NR = 3;
/** Bytes of packed op(a) rows per block: fits in L2 with room for op(b)'s panel and the output. */
const PACKED_A_BYTES = 2 ** 19;
/** A panel with at most this fraction of nonzero steps is run through its list of them. */
const SPARSE_FRACTION = 0.85;
/**
 * Scratch arrays of up to this many elements are kept for the next product: the packed operands
 * (Float64Array) and their nonzero steps and step counts (Int32Array). Longer ones are not kept.
 */
const KEEP_SCRATCH = 2 ** 17;

/**
 * A product is split between threads from `parallelThreshold` times this many multiply-adds: one
 * cost about a sixteenth of an element of the Gaussian kernels (0.3 against 5 ns) in the float64
 * kernels; the convolutions, which still are, use it too.
 */
export const MACS_PER_ELEMENT = 16;

/**
 * The `matMul` kernel: from `MACS_PER_ELEMENT · parallelThreshold` multiply-adds, its row panels
 * are split between threads (operands outside shared memory are copied there first).
 */
export const matMul: CpuKernel<MatMulAttrs> = (ctx, [a, b], { transposeA, transposeB }) => {
  const av = floats(a!);
  const bv = floats(b!);
  const dims = matMulDims(a!.shape, b!.shape, transposeA, transposeB);
  const { m, k, n } = dims;
  const panels = panelsOf(m);
  if (!ctx.splits((m * k * n) / MACS_PER_ELEMENT, panels)) {
    const out = ctx.float32(m * n);
    matMulPanels(av, bv, out, dims, transposeA, transposeB, 0, panels);
    return ctx.wrap(out, [m, n]);
  }
  const out = ctx.float32(m * n, true);
  const job = { out, a: ctx.share(av), b: ctx.share(bv), dims, transposeA, transposeB };
  ctx.runSplit({ kind: 'matMul', ...job }, panels);
  return ctx.wrap(out, [m, n]);
};

/** The dimensions of `op(a) · op(b)`: op(a) is m×k, op(b) is k×n. */
export interface MatMulDims {
  readonly m: number;
  readonly k: number;
  readonly n: number;
}

/** `[m, k, n]` of `op(a) · op(b)`; core has checked that the inner sizes agree. */
export function matMulDims(
  aShape: readonly number[],
  bShape: readonly number[],
  transposeA: boolean,
  transposeB: boolean,
): MatMulDims {
  return {
    m: (transposeA ? aShape[1] : aShape[0]) as number,
    k: (transposeA ? aShape[0] : aShape[1]) as number,
    n: (transposeB ? bShape[0] : bShape[1]) as number,
  };
}

/** Number of row panels of an m-row product: the blocks a job splits between threads. */
export function panelsOf(m: number): number {
  return Math.ceil(m / MR);
}

/** This thread's packing buffers, kept between products while they are small. */
let packedA: Float64Array = new Float64Array(0);
let packedB: Float64Array = new Float64Array(0);
/** Nonzero steps of each packed row panel (`k` entries per panel) and their counts. */
let stepsA: Int32Array = new Int32Array(0);
let countsA: Int32Array = new Int32Array(0);
let stepsB: Int32Array = new Int32Array(0);

/** A Float64Array of at least `n` values: `kept` if big enough, else a new one (kept if small). */
function float64Scratch(kept: Float64Array, n: number): Float64Array {
  return kept.length >= n ? kept : new Float64Array(n);
}

function int32Scratch(kept: Int32Array, n: number): Int32Array {
  return kept.length >= n ? kept : new Int32Array(n);
}

/** Packed panels: float32 in WebAssembly memory, float64 for the TypeScript kernels. */
type Panel = Float32Array | Float64Array;

/**
 * Writes row panels `[firstPanel, endPanel)` (rows `MR·firstPanel` up to `MR·endPanel`, at most
 * m) of `op(a) · op(b)` into `out` (m×n, row-major), with the WebAssembly SIMD kernels of
 * `matmul-wasm.ts` where the runtime has them and `simd` is true (tests turn it off to run the
 * TypeScript kernels, which run where WebAssembly SIMD is missing).
 */
export function matMulPanels(
  a: Float32Array,
  b: Float32Array,
  out: Float32Array,
  dims: MatMulDims,
  transposeA: boolean,
  transposeB: boolean,
  firstPanel: number,
  endPanel: number,
  simd = true,
): void {
  const { m, k, n } = dims;
  if (k === 0) {
    out.fill(0, Math.min(m, MR * firstPanel) * n, Math.min(m, MR * endPanel) * n);
    return;
  }
  const maxBlockPanels = Math.max(1, Math.floor(PACKED_A_BYTES / (8 * MR * k)));
  const blockValuesMax = Math.min(maxBlockPanels, endPanel - firstPanel) * MR * k;
  // WebAssembly memory, where its kernels run: the tile, op(b)'s panel and its steps, then
  // op(a)'s block and its steps (byte offsets). Float32 panels: twice the rows per block.
  const blockPanelsWasm = 2 * maxBlockPanels;
  const wasmBlockValues = Math.min(blockPanelsWasm, endPanel - firstPanel) * MR * k;
  const bAt = PANELS_AT;
  const bStepsAt = bAt + 4 * WASM_NR * k;
  const aAt = bStepsAt + 4 * k + (k % 4 === 0 ? 0 : 16 - ((4 * k) % 16));
  const aStepsAt = aAt + 4 * wasmBlockValues;
  const wasm = simd ? wasmTiles(aStepsAt + (4 * wasmBlockValues) / MR) : null;
  const blockPanels = wasm !== null ? blockPanelsWasm : maxBlockPanels;
  const blockValues = wasm !== null ? wasmBlockValues : blockValuesMax;
  const nr = wasm !== null ? WASM_NR : NR;
  const counts = int32Scratch(countsA, blockPanels);
  if (counts.length <= KEEP_SCRATCH) countsA = counts;
  let ap: Panel;
  let bp: Panel;
  let aSteps: Int32Array;
  let bSteps: Int32Array;
  let tile: Float64Array | null = null;
  if (wasm !== null) {
    const memory = wasm.memory.buffer;
    tile = new Float64Array(memory, 0, MR * WASM_NR);
    bp = new Float32Array(memory, bAt, WASM_NR * k);
    bSteps = new Int32Array(memory, bStepsAt, k);
    ap = new Float32Array(memory, aAt, blockValues);
    aSteps = new Int32Array(memory, aStepsAt, blockValues / MR);
  } else {
    const ap64 = float64Scratch(packedA, blockValues);
    const bp64 = float64Scratch(packedB, NR * k);
    aSteps = int32Scratch(stepsA, blockValues / MR);
    bSteps = int32Scratch(stepsB, k);
    if (ap64.length <= KEEP_SCRATCH) packedA = ap64;
    if (bp64.length <= KEEP_SCRATCH) packedB = bp64;
    if (aSteps.length <= KEEP_SCRATCH) stepsA = aSteps;
    if (bSteps.length <= KEEP_SCRATCH) stepsB = bSteps;
    ap = ap64;
    bp = bp64;
  }

  const limit = SPARSE_FRACTION * k;
  for (let block = firstPanel; block < endPanel; block += blockPanels) {
    const blockEnd = Math.min(endPanel, block + blockPanels);
    for (let panel = block; panel < blockEnd; panel++) {
      const offset = (panel - block) * MR * k;
      const finite = packRows(a, m, k, transposeA, panel * MR, ap, offset);
      // −1: a panel with an infinity or a NaN, never skipped.
      counts[panel - block] = finite
        ? nonzeroSteps(ap, offset, MR, k, aSteps, (panel - block) * k)
        : -1;
    }
    for (let j0 = 0; j0 < n; j0 += nr) {
      const bFinite = packColumns(b, k, n, transposeB, j0, bp, nr);
      const bCount = bFinite ? nonzeroSteps(bp, 0, nr, k, bSteps, 0) : -1;
      const cols = Math.min(nr, n - j0);
      for (let panel = block; panel < blockEnd; panel++) {
        const i0 = panel * MR;
        const rows = Math.min(MR, m - i0);
        const ai = (panel - block) * MR * k;
        const aCount = counts[panel - block] as number;
        const o = i0 * n + j0;
        const dense = aCount < 0 || bCount < 0 || (aCount > limit && bCount > limit);
        const sparseA = !dense && aCount <= bCount;
        if (wasm !== null) {
          if (dense) wasm.dense(aAt + 4 * ai, bAt, k);
          else if (sparseA) wasm.steps(aAt + 4 * ai, bAt, aStepsAt + (4 * ai) / MR, aCount);
          else wasm.steps(aAt + 4 * ai, bAt, bStepsAt, bCount);
          storeTile(tile as Float64Array, out, o, n, rows, cols);
        } else if (dense) {
          tileDense(ap as Float64Array, ai, bp as Float64Array, k, out, o, n, rows, cols);
        } else if (sparseA) {
          const list = ai / MR;
          tileSteps(
            ap as Float64Array,
            ai,
            bp as Float64Array,
            aSteps,
            list,
            aCount,
            out,
            o,
            n,
            rows,
            cols,
          );
        } else {
          tileSteps(
            ap as Float64Array,
            ai,
            bp as Float64Array,
            bSteps,
            0,
            bCount,
            out,
            o,
            n,
            rows,
            cols,
          );
        }
      }
    }
  }
}

/** Stores the first `rows`×`cols` of a row-major MR×WASM_NR `tile` at `out[o …]` (row stride n). */
function storeTile(
  tile: Float64Array,
  out: Float32Array,
  o: number,
  n: number,
  rows: number,
  cols: number,
): void {
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[o + r * n + c] = tile[r * WASM_NR + c] as number;
  }
}

/**
 * Packs rows `i0 … i0 + MR − 1` of op(a) (zeros past row m) at `ap[offset + p·MR + r]`; returns
 * false if one of them is infinite or NaN.
 */
function packRows(
  a: Float32Array,
  m: number,
  k: number,
  transposeA: boolean,
  i0: number,
  ap: Panel,
  offset: number,
): boolean {
  const rows = Math.min(MR, m - i0);
  // x · 0 is 0 for finite x and NaN otherwise: one NaN check for the whole pack.
  let check = 0;
  if (transposeA) {
    // op(a)[i, p] = a[p, i]: the MR values of one step are neighbours in a.
    for (let p = 0; p < k; p++) {
      const from = p * m + i0;
      const to = offset + p * MR;
      for (let r = 0; r < rows; r++) {
        const v = a[from + r] as number;
        ap[to + r] = v;
        check += v * 0;
      }
      for (let r = rows; r < MR; r++) ap[to + r] = 0;
    }
  } else {
    for (let r = 0; r < MR; r++) {
      if (r >= rows) {
        for (let p = 0; p < k; p++) ap[offset + p * MR + r] = 0;
        continue;
      }
      const from = (i0 + r) * k;
      for (let p = 0; p < k; p++) {
        const v = a[from + p] as number;
        ap[offset + p * MR + r] = v;
        check += v * 0;
      }
    }
  }
  return check === 0;
}

/**
 * Packs columns `j0 … j0 + nr − 1` of op(b) (zeros past column n) at `bp[p·nr + c]`; returns
 * false if one of them is infinite or NaN.
 */
function packColumns(
  b: Float32Array,
  k: number,
  n: number,
  transposeB: boolean,
  j0: number,
  bp: Panel,
  nr: number,
): boolean {
  const cols = Math.min(nr, n - j0);
  let check = 0;
  if (transposeB) {
    // op(b)[p, j] = b[j, p]: column j of op(b) is row j of b.
    for (let c = 0; c < nr; c++) {
      if (c >= cols) {
        for (let p = 0; p < k; p++) bp[p * nr + c] = 0;
        continue;
      }
      const from = (j0 + c) * k;
      for (let p = 0; p < k; p++) {
        const v = b[from + p] as number;
        bp[p * nr + c] = v;
        check += v * 0;
      }
    }
  } else {
    for (let p = 0; p < k; p++) {
      const from = p * n + j0;
      const to = p * nr;
      for (let c = 0; c < cols; c++) {
        const v = b[from + c] as number;
        bp[to + c] = v;
        check += v * 0;
      }
      for (let c = cols; c < nr; c++) bp[to + c] = 0;
    }
  }
  return check === 0;
}

/**
 * Lists at `steps[at …]` the steps p where the packed panel `panel[offset + p·width + …]` of
 * `width` values is not all zero; returns how many.
 */
function nonzeroSteps(
  panel: Panel,
  offset: number,
  width: number,
  k: number,
  steps: Int32Array,
  at: number,
): number {
  let count = 0;
  for (let p = 0; p < k; p++) {
    const from = offset + p * width;
    for (let w = 0; w < width; w++) {
      if (panel[from + w] !== 0) {
        steps[at + count++] = p;
        break;
      }
    }
  }
  return count;
}

/**
 * The MR×NR (4×3) tile at `out[o …]` (row stride n; `rows`×`cols` of it kept) from the packed
 * row panel at `ap[ai …]` and the packed column panel `bp`, over every step p = 0 … k − 1.
 */
function tileDense(
  ap: Float64Array,
  ai: number,
  bp: Float64Array,
  k: number,
  out: Float32Array,
  o: number,
  n: number,
  rows: number,
  cols: number,
): void {
  let c00 = 0;
  let c01 = 0;
  let c02 = 0;
  let c10 = 0;
  let c11 = 0;
  let c12 = 0;
  let c20 = 0;
  let c21 = 0;
  let c22 = 0;
  let c30 = 0;
  let c31 = 0;
  let c32 = 0;
  for (let bi = 0, end = ai + MR * k; ai < end; ai += MR, bi += NR) {
    const b0 = bp[bi] as number;
    const b1 = bp[bi + 1] as number;
    const b2 = bp[bi + 2] as number;
    let a = ap[ai] as number;
    c00 += a * b0;
    c01 += a * b1;
    c02 += a * b2;
    a = ap[ai + 1] as number;
    c10 += a * b0;
    c11 += a * b1;
    c12 += a * b2;
    a = ap[ai + 2] as number;
    c20 += a * b0;
    c21 += a * b1;
    c22 += a * b2;
    a = ap[ai + 3] as number;
    c30 += a * b0;
    c31 += a * b1;
    c32 += a * b2;
  }
  storeRow(out, o, cols, c00, c01, c02);
  if (rows > 1) storeRow(out, o + n, cols, c10, c11, c12);
  if (rows > 2) storeRow(out, o + 2 * n, cols, c20, c21, c22);
  if (rows > 3) storeRow(out, o + 3 * n, cols, c30, c31, c32);
}

/**
 * {@link tileDense} over the `count` steps listed at `steps[at …]` only (the others have a zero
 * panel on one side).
 */
function tileSteps(
  ap: Float64Array,
  ai: number,
  bp: Float64Array,
  steps: Int32Array,
  at: number,
  count: number,
  out: Float32Array,
  o: number,
  n: number,
  rows: number,
  cols: number,
): void {
  let c00 = 0;
  let c01 = 0;
  let c02 = 0;
  let c10 = 0;
  let c11 = 0;
  let c12 = 0;
  let c20 = 0;
  let c21 = 0;
  let c22 = 0;
  let c30 = 0;
  let c31 = 0;
  let c32 = 0;
  for (let t = at, end = at + count; t < end; t++) {
    const p = steps[t] as number;
    const i = ai + p * MR;
    const j = p * NR;
    const b0 = bp[j] as number;
    const b1 = bp[j + 1] as number;
    const b2 = bp[j + 2] as number;
    let a = ap[i] as number;
    c00 += a * b0;
    c01 += a * b1;
    c02 += a * b2;
    a = ap[i + 1] as number;
    c10 += a * b0;
    c11 += a * b1;
    c12 += a * b2;
    a = ap[i + 2] as number;
    c20 += a * b0;
    c21 += a * b1;
    c22 += a * b2;
    a = ap[i + 3] as number;
    c30 += a * b0;
    c31 += a * b1;
    c32 += a * b2;
  }
  storeRow(out, o, cols, c00, c01, c02);
  if (rows > 1) storeRow(out, o + n, cols, c10, c11, c12);
  if (rows > 2) storeRow(out, o + 2 * n, cols, c20, c21, c22);
  if (rows > 3) storeRow(out, o + 3 * n, cols, c30, c31, c32);
}

/** Stores the first `cols` of one tile row at `out[o …]` (rounding to float32). */
function storeRow(
  out: Float32Array,
  o: number,
  cols: number,
  x0: number,
  x1: number,
  x2: number,
): void {
  out[o] = x0;
  if (cols > 1) out[o + 1] = x1;
  if (cols > 2) out[o + 2] = x2;
}
