/**
 * Kernels that training needs: permutations and log-softmax (the matrix product is in `matmul.ts`,
 * the activations in `maps.ts`). Each writes into an `out` array from the backend, so large
 * outputs are recycled.
 */
import { stridesOf } from '@illia-ts/core';

function transpose2d(x: Float32Array, rows: number, cols: number, out: Float32Array): Float32Array {
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) out[j * rows + i] = x[i * cols + j] as number;
  }
  return out;
}

/** The shape of `x` (of `shape`) transposed by `perm`: output axis i is input axis perm[i]. */
export function transposeShape(shape: readonly number[], perm: readonly number[]): number[] {
  return perm.map((axis) => shape[axis] as number);
}

/** Writes `x` transposed by `perm` (output axis i is input axis perm[i]) to `out`; returns `out`. */
export function transpose(
  x: Float32Array,
  shape: readonly number[],
  perm: readonly number[],
  out: Float32Array,
): Float32Array {
  if (shape.length === 2 && perm[0] === 1) {
    return transpose2d(x, shape[0] as number, shape[1] as number, out);
  }
  const outShape = transposeShape(shape, perm);
  const inStrides = stridesOf(shape);
  const outStrides = stridesOf(outShape);
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
  return out;
}

/** Writes `x − log Σ exp(x)` along the last axis, shifted by the row maximum, to `out`. */
export function logSoftmax(
  x: Float32Array,
  shape: readonly number[],
  out: Float32Array,
): Float32Array {
  const cols = shape[shape.length - 1] as number;
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
