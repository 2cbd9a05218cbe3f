/**
 * The matrix product `op(a) · op(b)` of row-major 2-D float32 operands, accumulated in float64.
 *
 * Every output element is the plain sum `Σₚ op(a)[i, p] · op(b)[p, j]` for p = 0, 1, …, k − 1
 * in one float64 accumulator that starts at +0, rounded once to float32: the order of the
 * float64 reference, whatever the tiling, the thread count or the split of the rows.
 *
 * How it is fast in plain TypeScript (scalar: V8 does not vectorise):
 * - A register-blocked micro-kernel computes a tile of {@link MR}×{@link NR} outputs in 12 local
 *   float64 accumulators, which V8 keeps in registers (4×4 spills: x64 has 16). Each step over p
 *   loads 3 + 4 operands for 12 multiply-adds, where a row-at-a-time product loads and stores an
 *   accumulator per multiply-add.
 * - Both operands are packed first into float64 panels, interleaved so that the micro-kernel reads
 *   each panel front to back: MR rows of op(a) as `[p·MR + r]`, NR columns of op(b) as `[p·NR + c]`.
 *   Packing reads `a` and `b` transposed or not, so no transposed copy is ever made, and converts
 *   float32 to float64 once rather than once per use.
 * - Rows are taken in blocks whose packed panels fit in L2 cache ({@link PACKED_A_BYTES}); one
 *   panel of op(b) (k·NR values) stays in L1 while every row panel of the block passes over it.
 * - Steps where a whole panel of op(a) or of op(b) is zero (pixels at an image's border, ReLU
 *   outputs) are skipped through a list of the others. That is exact: such a step adds ±0 to a sum
 *   that started at +0, which leaves it unchanged, provided the other factors are finite; a pack
 *   that holds an infinity or a NaN turns skipping off, so those propagate as in the reference.
 *
 * - Where the runtime has WebAssembly SIMD, the same tiles run in `matmul-wasm.ts` over the same
 *   panels (in its memory), with the same bits, 3.4 times as fast; these kernels are the fallback.
 *
 * A job's unit of work is a panel of {@link MR} rows ({@link matMulPanels}): the rows can be split
 * between threads at any panel boundary and every output element is computed the same way.
 */

import type { MatMulAttrs } from '@illia-ts/core';
import { type CpuKernel, floats } from './context.js';
import { PANELS_AT, wasmTiles } from './matmul-wasm.js';

/** Rows of op(a) per micro-tile. */
const MR = 3;
/** Columns of op(b) per micro-tile. */
const NR = 4;
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
 * costs about a sixteenth of an element of the Gaussian kernels (0.3 against 5 ns).
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

/**
 * Writes row panels `[firstPanel, endPanel)` (rows `MR·firstPanel` up to `MR·endPanel`, at most
 * m) of `op(a) · op(b)` into `out` (m×n, row-major), with the WebAssembly SIMD kernels of
 * `matmul-wasm.ts` where the runtime has them and `simd` is true (tests turn it off to check that
 * the TypeScript kernels give the same bits).
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
  const blockPanels = Math.max(1, Math.floor(PACKED_A_BYTES / (8 * MR * k)));
  const blockValues = Math.min(blockPanels, endPanel - firstPanel) * MR * k;
  const aCounts = int32Scratch(countsA, blockPanels);
  if (aCounts.length <= KEEP_SCRATCH) countsA = aCounts;
  // WebAssembly memory, where its kernels run: the tile, op(b)'s panel and its steps, then
  // op(a)'s block and its steps (byte offsets).
  const bAt = PANELS_AT;
  const bStepsAt = bAt + 8 * NR * k;
  const aAt = bStepsAt + 4 * k + (k % 4 === 0 ? 0 : 16 - ((4 * k) % 16));
  const aStepsAt = aAt + 8 * blockValues;
  const wasm = simd ? wasmTiles(aStepsAt + (4 * blockValues) / MR) : null;
  let ap: Float64Array;
  let bp: Float64Array;
  let aSteps: Int32Array;
  let bSteps: Int32Array;
  let tile: Float64Array | null = null;
  if (wasm !== null) {
    const memory = wasm.memory.buffer;
    tile = new Float64Array(memory, 0, MR * NR);
    bp = new Float64Array(memory, bAt, NR * k);
    bSteps = new Int32Array(memory, bStepsAt, k);
    ap = new Float64Array(memory, aAt, blockValues);
    aSteps = new Int32Array(memory, aStepsAt, blockValues / MR);
  } else {
    ap = float64Scratch(packedA, blockValues);
    bp = float64Scratch(packedB, NR * k);
    aSteps = int32Scratch(stepsA, blockValues / MR);
    bSteps = int32Scratch(stepsB, k);
    if (ap.length <= KEEP_SCRATCH) packedA = ap;
    if (bp.length <= KEEP_SCRATCH) packedB = bp;
    if (aSteps.length <= KEEP_SCRATCH) stepsA = aSteps;
    if (bSteps.length <= KEEP_SCRATCH) stepsB = bSteps;
  }

  const limit = SPARSE_FRACTION * k;
  for (let block = firstPanel; block < endPanel; block += blockPanels) {
    const blockEnd = Math.min(endPanel, block + blockPanels);
    for (let panel = block; panel < blockEnd; panel++) {
      const offset = (panel - block) * MR * k;
      const finite = packRows(a, m, k, transposeA, panel * MR, ap, offset);
      // −1: a panel with an infinity or a NaN, never skipped.
      aCounts[panel - block] = finite
        ? nonzeroSteps(ap, offset, MR, k, aSteps, (panel - block) * k)
        : -1;
    }
    for (let j0 = 0; j0 < n; j0 += NR) {
      const bFinite = packColumns(b, k, n, transposeB, j0, bp);
      const bCount = bFinite ? nonzeroSteps(bp, 0, NR, k, bSteps, 0) : -1;
      const cols = Math.min(NR, n - j0);
      for (let panel = block; panel < blockEnd; panel++) {
        const i0 = panel * MR;
        const rows = Math.min(MR, m - i0);
        const ai = (panel - block) * MR * k;
        const aCount = aCounts[panel - block] as number;
        const o = i0 * n + j0;
        const dense = aCount < 0 || bCount < 0 || (aCount > limit && bCount > limit);
        const sparseA = !dense && aCount <= bCount;
        if (wasm !== null) {
          if (dense) wasm.dense(aAt + 8 * ai, bAt, k);
          else if (sparseA) wasm.steps(aAt + 8 * ai, bAt, aStepsAt + (4 * ai) / MR, aCount);
          else wasm.steps(aAt + 8 * ai, bAt, bStepsAt, bCount);
          storeTile(tile as Float64Array, out, o, n, rows, cols);
        } else if (dense) {
          tileDense(ap, ai, bp, k, out, o, n, rows, cols);
        } else if (sparseA) {
          tileSteps(ap, ai, bp, aSteps, ai / MR, aCount, out, o, n, rows, cols);
        } else {
          tileSteps(ap, ai, bp, bSteps, 0, bCount, out, o, n, rows, cols);
        }
      }
    }
  }
}

/** Stores the first `rows`×`cols` of a row-major MR×NR `tile` at `out[o …]` (row stride n). */
function storeTile(
  tile: Float64Array,
  out: Float32Array,
  o: number,
  n: number,
  rows: number,
  cols: number,
): void {
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[o + r * n + c] = tile[r * NR + c] as number;
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
  ap: Float64Array,
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
 * Packs columns `j0 … j0 + NR − 1` of op(b) (zeros past column n) at `bp[p·NR + c]`; returns
 * false if one of them is infinite or NaN.
 */
function packColumns(
  b: Float32Array,
  k: number,
  n: number,
  transposeB: boolean,
  j0: number,
  bp: Float64Array,
): boolean {
  const cols = Math.min(NR, n - j0);
  let check = 0;
  if (transposeB) {
    // op(b)[p, j] = b[j, p]: column j of op(b) is row j of b.
    for (let c = 0; c < NR; c++) {
      if (c >= cols) {
        for (let p = 0; p < k; p++) bp[p * NR + c] = 0;
        continue;
      }
      const from = (j0 + c) * k;
      for (let p = 0; p < k; p++) {
        const v = b[from + p] as number;
        bp[p * NR + c] = v;
        check += v * 0;
      }
    }
  } else {
    for (let p = 0; p < k; p++) {
      const from = p * n + j0;
      const to = p * NR;
      for (let c = 0; c < cols; c++) {
        const v = b[from + c] as number;
        bp[to + c] = v;
        check += v * 0;
      }
      for (let c = cols; c < NR; c++) bp[to + c] = 0;
    }
  }
  return check === 0;
}

/**
 * Lists at `steps[at …]` the steps p where the packed panel `panel[offset + p·width + …]` of
 * `width` values is not all zero; returns how many.
 */
function nonzeroSteps(
  panel: Float64Array,
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
 * The MR×NR tile at `out[o …]` (row stride n; `rows`×`cols` of it kept) from the packed row
 * panel at `ap[ai …]` and the packed column panel `bp`, over every step p = 0 … k − 1.
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
  let c03 = 0;
  let c10 = 0;
  let c11 = 0;
  let c12 = 0;
  let c13 = 0;
  let c20 = 0;
  let c21 = 0;
  let c22 = 0;
  let c23 = 0;
  for (let bi = 0, end = ai + MR * k; ai < end; ai += MR, bi += NR) {
    const a0 = ap[ai] as number;
    const a1 = ap[ai + 1] as number;
    const a2 = ap[ai + 2] as number;
    let b = bp[bi] as number;
    c00 += a0 * b;
    c10 += a1 * b;
    c20 += a2 * b;
    b = bp[bi + 1] as number;
    c01 += a0 * b;
    c11 += a1 * b;
    c21 += a2 * b;
    b = bp[bi + 2] as number;
    c02 += a0 * b;
    c12 += a1 * b;
    c22 += a2 * b;
    b = bp[bi + 3] as number;
    c03 += a0 * b;
    c13 += a1 * b;
    c23 += a2 * b;
  }
  storeRow(out, o, cols, c00, c01, c02, c03);
  if (rows > 1) storeRow(out, o + n, cols, c10, c11, c12, c13);
  if (rows > 2) storeRow(out, o + 2 * n, cols, c20, c21, c22, c23);
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
  let c03 = 0;
  let c10 = 0;
  let c11 = 0;
  let c12 = 0;
  let c13 = 0;
  let c20 = 0;
  let c21 = 0;
  let c22 = 0;
  let c23 = 0;
  for (let t = at, end = at + count; t < end; t++) {
    const p = steps[t] as number;
    const i = ai + p * MR;
    const j = p * NR;
    const a0 = ap[i] as number;
    const a1 = ap[i + 1] as number;
    const a2 = ap[i + 2] as number;
    let b = bp[j] as number;
    c00 += a0 * b;
    c10 += a1 * b;
    c20 += a2 * b;
    b = bp[j + 1] as number;
    c01 += a0 * b;
    c11 += a1 * b;
    c21 += a2 * b;
    b = bp[j + 2] as number;
    c02 += a0 * b;
    c12 += a1 * b;
    c22 += a2 * b;
    b = bp[j + 3] as number;
    c03 += a0 * b;
    c13 += a1 * b;
    c23 += a2 * b;
  }
  storeRow(out, o, cols, c00, c01, c02, c03);
  if (rows > 1) storeRow(out, o + n, cols, c10, c11, c12, c13);
  if (rows > 2) storeRow(out, o + 2 * n, cols, c20, c21, c22, c23);
}

/** Stores the first `cols` of one tile row at `out[o …]` (rounding to float32). */
function storeRow(
  out: Float32Array,
  o: number,
  cols: number,
  x0: number,
  x1: number,
  x2: number,
  x3: number,
): void {
  out[o] = x0;
  if (cols > 1) out[o + 1] = x1;
  if (cols > 2) out[o + 2] = x2;
  if (cols > 3) out[o + 3] = x3;
}
