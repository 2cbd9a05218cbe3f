/** Sum over axes, accumulated in float64 (a million float32 terms lose nothing measurable). */
import { sizeOf, stridesOf } from '@illia-ts/core';

export function sumAxes(
  x: Float32Array,
  shape: readonly number[],
  axes: readonly number[],
): { values: Float32Array; shape: number[] } {
  const reduced = new Set(axes);
  const outShape = shape.filter((_, d) => !reduced.has(d));
  if (outShape.length === 0) {
    let total = 0;
    for (let i = 0; i < x.length; i++) total += x[i] as number;
    return { values: Float32Array.of(total), shape: [] };
  }
  const acc = new Float64Array(sizeOf(outShape));
  const inStrides = stridesOf(shape);
  // For each input dimension, the stride of its coordinate in the output (0 if reduced).
  const outStridesKept = stridesOf(outShape);
  const toOut: number[] = [];
  let kept = 0;
  for (let d = 0; d < shape.length; d++) {
    toOut.push(reduced.has(d) ? 0 : (outStridesKept[kept++] as number));
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
  return { values: Float32Array.from(acc), shape: outShape };
}
