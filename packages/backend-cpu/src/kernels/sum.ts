/** Sum over axes, accumulated in float64 (a million float32 terms lose nothing measurable). */
import { type SumAttrs, sizeOf, stridesOf } from '@illia-ts/core';
import { type CpuKernel, floats } from './context.js';

/** The `sum` kernel, into a recycled array where the output is large (a gradient's). */
export const sum: CpuKernel<SumAttrs> = (ctx, [x], { axes }, { shape }) =>
  ctx.wrap(sumAxes(floats(x!), x!.shape, axes, ctx.float32(sizeOf(shape))), shape);

/** The shape of a sum of `shape` over `axes`: those axes left out. */
export function sumShape(shape: readonly number[], axes: readonly number[]): number[] {
  return shape.filter((_, d) => !axes.includes(d));
}

/**
 * Writes the sum of `x` (of `shape`) over `axes` to `out` (of {@link sumShape}'s size, every
 * element written), each output the float64 sum of its terms in index order; returns `out`.
 */
export function sumAxes(
  x: Float32Array,
  shape: readonly number[],
  axes: readonly number[],
  out: Float32Array,
): Float32Array {
  const outShape = sumShape(shape, axes);
  if (outShape.length === 0) {
    let total = 0;
    for (let i = 0; i < x.length; i++) total += x[i] as number;
    out[0] = total;
    return out;
  }
  const acc = new Float64Array(sizeOf(outShape));
  const inStrides = stridesOf(shape);
  // For each input dimension, the stride of its coordinate in the output (0 if reduced).
  const outStridesKept = stridesOf(outShape);
  const toOut: number[] = [];
  let kept = 0;
  for (let d = 0; d < shape.length; d++) {
    toOut.push(axes.includes(d) ? 0 : (outStridesKept[kept++] as number));
  }
  for (let i = 0; i < x.length; i++) {
    let rest = i;
    let o = 0;
    for (let d = 0; d < shape.length; d++) {
      const stride = inStrides[d] as number;
      const coord = Math.floor(rest / stride);
      rest -= coord * stride;
      o += coord * (toOut[d] as number);
    }
    acc[o] = (acc[o] as number) + (x[i] as number);
  }
  out.set(acc);
  return out;
}
