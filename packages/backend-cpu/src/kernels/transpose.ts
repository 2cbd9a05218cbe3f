/**
 * The `transpose` kernel (float32 or int32): output axis i is input axis perm[i]. It moves int32
 * bits, so both dtypes take one loop and a float's bits are kept exactly.
 */
import { stridesOf, type TransposeAttrs } from '@illia-ts/core';
import { bitsOf, type CpuKernel, outputArray } from './context.js';

export const transpose: CpuKernel<TransposeAttrs> = (ctx, [x], { perm }, { shape, dtype }) => {
  const out = outputArray(ctx, dtype, x!.values.length);
  permute(bitsOf(x!.values), x!.shape, perm, bitsOf(out));
  return ctx.wrap(out, shape);
};

function transpose2d(x: Int32Array, rows: number, cols: number, out: Int32Array): void {
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) out[j * rows + i] = x[i * cols + j] as number;
  }
}

/** Writes `x` (of `shape`) permuted by `perm` to `out`. */
export function permute(
  x: Int32Array,
  shape: readonly number[],
  perm: readonly number[],
  out: Int32Array,
): void {
  if (shape.length === 2 && perm[0] === 1) {
    transpose2d(x, shape[0] as number, shape[1] as number, out);
    return;
  }
  const outShape = perm.map((axis) => shape[axis] as number);
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
}
