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
 *   `[p·NR + c]`, in float32 (exact: the TypeScript kernels widen each value to float64 as they
 *   read it). Packing reads `a` and `b` transposed or not, so no transposed copy is ever made.
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
/** Bytes of a block's outputs, for the WebAssembly kernels, which write them in their memory. */
const OUT_BLOCK_BYTES = 2 ** 20;
/** A panel with at most this fraction of nonzero steps is run through its list of them. */
const SPARSE_FRACTION = 0.85;
/**
 * Scratch arrays of up to this many elements are kept for the next product: the packed operands
 * (Float32Array) and their nonzero steps and step counts (Int32Array). Longer ones are not kept.
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
let packedA: Float32Array = new Float32Array(0);
let packedB: Float32Array = new Float32Array(0);
/** Nonzero steps of each packed row panel (`k` entries per panel) and their counts. */
let stepsA: Int32Array = new Int32Array(0);
let countsA: Int32Array = new Int32Array(0);
let stepsB: Int32Array = new Int32Array(0);

/** A Float32Array of at least `n` values: `kept` if big enough, else a new one (kept if small). */
function float32Scratch(kept: Float32Array, n: number): Float32Array {
  return kept.length >= n ? kept : new Float32Array(n);
}

function int32Scratch(kept: Int32Array, n: number): Int32Array {
  return kept.length >= n ? kept : new Int32Array(n);
}

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
  // Output rows of the WebAssembly kernels, padded to whole tiles (float32 values).
  const ldc = Math.ceil(n / WASM_NR) * WASM_NR;
  const blockPanels = Math.max(
    1,
    Math.min(
      Math.floor(PACKED_A_BYTES / (4 * MR * k)),
      Math.floor(OUT_BLOCK_BYTES / (4 * MR * ldc)),
    ),
  );
  const blockValues = Math.min(blockPanels, endPanel - firstPanel) * MR * k;
  // WebAssembly memory, where its kernels run: the tile, op(b)'s panel and its steps, op(a)'s
  // block and its steps, then the block's outputs (byte offsets, 16-byte aligned).
  const align = (at: number) => Math.ceil(at / 16) * 16;
  const bAt = PANELS_AT;
  const bStepsAt = bAt + 4 * WASM_NR * k;
  const aAt = align(bStepsAt + 4 * k);
  const aStepsAt = aAt + 4 * blockValues;
  const cAt = align(aStepsAt + (4 * blockValues) / MR);
  const cValues = (blockValues / k) * ldc;
  const wasm = simd ? wasmTiles(cAt + 4 * cValues) : null;
  const nr = wasm !== null ? WASM_NR : NR;
  const counts = int32Scratch(countsA, blockPanels);
  if (counts.length <= KEEP_SCRATCH) countsA = counts;
  let ap: Float32Array;
  let bp: Float32Array;
  let aSteps: Int32Array;
  let bSteps: Int32Array;
  let c: Float32Array | null = null;
  if (wasm !== null) {
    const memory = wasm.memory.buffer;
    c = new Float32Array(memory, cAt, cValues);
    bp = new Float32Array(memory, bAt, WASM_NR * k);
    bSteps = new Int32Array(memory, bStepsAt, k);
    ap = new Float32Array(memory, aAt, blockValues);
    aSteps = new Int32Array(memory, aStepsAt, blockValues / MR);
  } else {
    ap = float32Scratch(packedA, blockValues);
    bp = float32Scratch(packedB, NR * k);
    aSteps = int32Scratch(stepsA, blockValues / MR);
    bSteps = int32Scratch(stepsB, k);
    if (ap.length <= KEEP_SCRATCH) packedA = ap;
    if (bp.length <= KEEP_SCRATCH) packedB = bp;
    if (aSteps.length <= KEEP_SCRATCH) stepsA = aSteps;
    if (bSteps.length <= KEEP_SCRATCH) stepsB = bSteps;
  }

  // Packing copies bits (no conversion to float64 and back), and lists nonzero steps as it goes.
  const aBits = bitsOf(a);
  const bBits = bitsOf(b);
  const apBits = bitsOf(ap);
  const bpBits = bitsOf(bp);
  const limit = SPARSE_FRACTION * k;
  for (let block = firstPanel; block < endPanel; block += blockPanels) {
    const blockEnd = Math.min(endPanel, block + blockPanels);
    for (let panel = block; panel < blockEnd; panel++) {
      const offset = (panel - block) * MR * k;
      // −1: a panel with an infinity or a NaN, never skipped.
      counts[panel - block] = packRows(
        aBits,
        m,
        k,
        transposeA,
        panel * MR,
        apBits,
        offset,
        aSteps,
        (panel - block) * k,
      );
    }
    for (let j0 = 0; j0 < n; j0 += nr) {
      const bCount = packColumns(bBits, k, n, transposeB, j0, bpBits, nr, bSteps);
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
          const at = cAt + 4 * ((panel - block) * MR * ldc + j0);
          if (dense) wasm.dense(aAt + 4 * ai, bAt, k, at, 4 * ldc);
          else if (sparseA) {
            wasm.steps(aAt + 4 * ai, bAt, aStepsAt + (4 * ai) / MR, aCount, at, 4 * ldc);
          } else wasm.steps(aAt + 4 * ai, bAt, bStepsAt, bCount, at, 4 * ldc);
        } else if (dense) {
          tileDense(ap, ai, bp, k, out, o, n, rows, cols);
        } else if (sparseA) {
          const list = ai / MR;
          tileSteps(ap, ai, bp, aSteps, list, aCount, out, o, n, rows, cols);
        } else {
          tileSteps(ap, ai, bp, bSteps, 0, bCount, out, o, n, rows, cols);
        }
      }
    }
    if (c !== null) {
      const first = block * MR;
      const rows = Math.min(m, blockEnd * MR) - first;
      if (ldc === n) out.set(c.subarray(0, rows * n), first * n);
      else {
        for (let r = 0; r < rows; r++) out.set(c.subarray(r * ldc, r * ldc + n), (first + r) * n);
      }
    }
  }
}

/** The bits of a float32 array, as int32. */
const bitsOf = (x: Float32Array): Int32Array => new Int32Array(x.buffer, x.byteOffset, x.length);

/**
 * Packs rows `i0 … i0 + MR − 1` of op(a) (zeros past row m) at `ap[offset + p·MR + r]` (bits)
 * and lists at `steps[at …]` the steps p where one of them is not ±0; returns how many, or −1 if
 * one of the values is infinite or NaN.
 */
function packRows(
  a: Int32Array,
  m: number,
  k: number,
  transposeA: boolean,
  i0: number,
  ap: Int32Array,
  offset: number,
  steps: Int32Array,
  at: number,
): number {
  const rows = Math.min(MR, m - i0);
  // Element p of each row of op(a), and how far apart the steps are.
  const r0 = transposeA ? i0 : i0 * k;
  const r1 = transposeA ? i0 + 1 : (i0 + 1) * k;
  const r2 = transposeA ? i0 + 2 : (i0 + 2) * k;
  const r3 = transposeA ? i0 + 3 : (i0 + 3) * k;
  const stride = transposeA ? m : 1;
  // `exponents` gets bit 8 from an all-ones exponent (infinity or NaN).
  let exponents = 0;
  let count = 0;
  for (let p = 0, q = 0, to = offset; p < k; p++, q += stride, to += MR) {
    const v0 = a[r0 + q] as number;
    const v1 = rows > 1 ? (a[r1 + q] as number) : 0;
    const v2 = rows > 2 ? (a[r2 + q] as number) : 0;
    const v3 = rows > 3 ? (a[r3 + q] as number) : 0;
    ap[to] = v0;
    ap[to + 1] = v1;
    ap[to + 2] = v2;
    ap[to + 3] = v3;
    exponents |=
      (((v0 >>> 23) & 0xff) + 1) |
      (((v1 >>> 23) & 0xff) + 1) |
      (((v2 >>> 23) & 0xff) + 1) |
      (((v3 >>> 23) & 0xff) + 1);
    if (((v0 | v1 | v2 | v3) & 0x7fffffff) !== 0) steps[at + count++] = p;
  }
  return (exponents & 0x100) === 0 ? count : -1;
}

/**
 * Packs columns `j0 … j0 + nr − 1` of op(b) (zeros past column n) at `bp[p·nr + c]` (bits) and
 * lists at `steps[0 …]` the steps p where one of them is not ±0; returns how many, or −1 if one
 * of the values is infinite or NaN.
 */
function packColumns(
  b: Int32Array,
  k: number,
  n: number,
  transposeB: boolean,
  j0: number,
  bp: Int32Array,
  nr: number,
  steps: Int32Array,
): number {
  const cols = Math.min(nr, n - j0);
  // op(b)[p, j0 + c] is b[first + p·pStride + c·cStride].
  const first = transposeB ? j0 * k : j0;
  const pStride = transposeB ? 1 : n;
  const cStride = transposeB ? k : 1;
  let exponents = 0;
  let count = 0;
  if (cols === 8 && nr === 8) {
    // The WebAssembly kernels' full panels, unrolled.
    const c2 = 2 * cStride;
    const c3 = 3 * cStride;
    const c4 = 4 * cStride;
    const c5 = 5 * cStride;
    const c6 = 6 * cStride;
    const c7 = 7 * cStride;
    for (let p = 0, i = first, to = 0; p < k; p++, i += pStride, to += 8) {
      const v0 = b[i] as number;
      const v1 = b[i + cStride] as number;
      const v2 = b[i + c2] as number;
      const v3 = b[i + c3] as number;
      const v4 = b[i + c4] as number;
      const v5 = b[i + c5] as number;
      const v6 = b[i + c6] as number;
      const v7 = b[i + c7] as number;
      bp[to] = v0;
      bp[to + 1] = v1;
      bp[to + 2] = v2;
      bp[to + 3] = v3;
      bp[to + 4] = v4;
      bp[to + 5] = v5;
      bp[to + 6] = v6;
      bp[to + 7] = v7;
      exponents |=
        (((v0 >>> 23) & 0xff) + 1) |
        (((v1 >>> 23) & 0xff) + 1) |
        (((v2 >>> 23) & 0xff) + 1) |
        (((v3 >>> 23) & 0xff) + 1) |
        (((v4 >>> 23) & 0xff) + 1) |
        (((v5 >>> 23) & 0xff) + 1) |
        (((v6 >>> 23) & 0xff) + 1) |
        (((v7 >>> 23) & 0xff) + 1);
      if (((v0 | v1 | v2 | v3 | v4 | v5 | v6 | v7) & 0x7fffffff) !== 0) steps[count++] = p;
    }
    return (exponents & 0x100) === 0 ? count : -1;
  }
  for (let p = 0, from = first, to = 0; p < k; p++, from += pStride, to += nr) {
    let any = 0;
    for (let c = 0, i = from; c < cols; c++, i += cStride) {
      const v = b[i] as number;
      bp[to + c] = v;
      any |= v;
      exponents |= ((v >>> 23) & 0xff) + 1;
    }
    for (let c = cols; c < nr; c++) bp[to + c] = 0;
    if ((any & 0x7fffffff) !== 0) steps[count++] = p;
  }
  return (exponents & 0x100) === 0 ? count : -1;
}

/**
 * The MR×NR (4×3) tile at `out[o …]` (row stride n; `rows`×`cols` of it kept) from the packed
 * row panel at `ap[ai …]` and the packed column panel `bp`, over every step p = 0 … k − 1.
 */
function tileDense(
  ap: Float32Array,
  ai: number,
  bp: Float32Array,
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
  ap: Float32Array,
  ai: number,
  bp: Float32Array,
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
