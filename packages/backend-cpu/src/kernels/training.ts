/** Kernels that training needs: matrix product, permutations, activations, log-softmax. */
import { sizeOf, stridesOf } from '@illia-ts/core';

/** `op(a) · op(b)` for row-major 2-D a and b, accumulated in float64. */
export function matMul(
  a: Float32Array,
  aShape: readonly number[],
  b: Float32Array,
  bShape: readonly number[],
  transposeA: boolean,
  transposeB: boolean,
): { values: Float32Array; shape: number[] } {
  // Row-major copies of op(a) and op(b) make the inner loop contiguous (O(n²) against O(n³)).
  const left = transposeA ? transpose2d(a, aShape[0] as number, aShape[1] as number) : a;
  const right = transposeB ? transpose2d(b, bShape[0] as number, bShape[1] as number) : b;
  const m = (transposeA ? aShape[1] : aShape[0]) as number;
  const k = (transposeA ? aShape[0] : aShape[1]) as number;
  const n = (transposeB ? bShape[0] : bShape[1]) as number;
  const out = new Float32Array(m * n);
  // Four rows of op(a) at a time share each row of op(b) loaded from memory.
  const r0 = new Float64Array(n);
  const r1 = new Float64Array(n);
  const r2 = new Float64Array(n);
  const r3 = new Float64Array(n);
  for (let i = 0; i < m; i += 4) {
    r0.fill(0);
    r1.fill(0);
    r2.fill(0);
    r3.fill(0);
    const rows = Math.min(4, m - i);
    for (let p = 0; p < k; p++) {
      const a0 = left[i * k + p] as number;
      const a1 = rows > 1 ? (left[(i + 1) * k + p] as number) : 0;
      const a2 = rows > 2 ? (left[(i + 2) * k + p] as number) : 0;
      const a3 = rows > 3 ? (left[(i + 3) * k + p] as number) : 0;
      if (a0 === 0 && a1 === 0 && a2 === 0 && a3 === 0) continue;
      const offset = p * n;
      for (let j = 0; j < n; j++) {
        const b = right[offset + j] as number;
        r0[j] = (r0[j] as number) + a0 * b;
        r1[j] = (r1[j] as number) + a1 * b;
        r2[j] = (r2[j] as number) + a2 * b;
        r3[j] = (r3[j] as number) + a3 * b;
      }
    }
    out.set(r0, i * n);
    if (rows > 1) out.set(r1, (i + 1) * n);
    if (rows > 2) out.set(r2, (i + 2) * n);
    if (rows > 3) out.set(r3, (i + 3) * n);
  }
  return { values: out, shape: [m, n] };
}

function transpose2d(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) out[j * rows + i] = x[i * cols + j] as number;
  }
  return out;
}

/** Output axis i is input axis perm[i]. */
export function transpose(
  x: Float32Array,
  shape: readonly number[],
  perm: readonly number[],
): { values: Float32Array; shape: number[] } {
  const outShape = perm.map((axis) => shape[axis] as number);
  if (shape.length === 2 && perm[0] === 1) {
    return { values: transpose2d(x, shape[0] as number, shape[1] as number), shape: outShape };
  }
  const inStrides = stridesOf(shape);
  const outStrides = stridesOf(outShape);
  const out = new Float32Array(sizeOf(outShape));
  for (let o = 0; o < out.length; o++) {
    let rest = o;
    let i = 0;
    for (let d = 0; d < outShape.length; d++) {
      const stride = outStrides[d] as number;
      const coord = Math.floor(rest / stride);
      rest -= coord * stride;
      i += coord * (inStrides[perm[d] as number] as number);
    }
    out[o] = x[i] as number;
  }
  return { values: out, shape: outShape };
}

/** `x − log Σ exp(x)` along the last axis, shifted by the row maximum. */
export function logSoftmax(x: Float32Array, shape: readonly number[]): Float32Array {
  const cols = shape[shape.length - 1] as number;
  const out = new Float32Array(x.length);
  for (let start = 0; start < x.length; start += cols) {
    let max = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < cols; j++) max = Math.max(max, x[start + j] as number);
    let total = 0;
    for (let j = 0; j < cols; j++) total += Math.exp((x[start + j] as number) - max);
    const shift = max + Math.log(total);
    for (let j = 0; j < cols; j++) out[start + j] = (x[start + j] as number) - shift;
  }
  return out;
}

/** `1 / (1 + e^−x)` without overflow for large |x|. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}
