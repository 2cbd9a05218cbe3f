/** Sum over axes, accumulated in float64 (a million float32 terms lose nothing measurable). */
import { type SumAttrs, sizeOf } from '@illia-ts/core';
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
 *
 * The input is read once, front to back, in runs: adjacent axes that are all kept or all reduced
 * are merged first (axes of size 1 dropped), so `[64, 16, 24, 24]` over axes 0, 2 and 3 is
 * `[64, 16, 576]` reduced, kept, reduced. A reduced innermost run adds into one float64 local,
 * a kept one adds element by element into a row of float64 accumulators; the position of each
 * run in the output is stepped like an odometer, with no division per element. Each accumulator
 * takes its terms in index order, as a sum over the flat index would: the same bits.
 */
export function sumAxes(
  x: Float32Array,
  shape: readonly number[],
  axes: readonly number[],
  out: Float32Array,
): Float32Array {
  // Merged axes, outermost first: sizes and output strides (0 where reduced).
  const sizes: number[] = [];
  const reduced: boolean[] = [];
  for (let d = 0; d < shape.length; d++) {
    const size = shape[d] as number;
    if (size === 1) continue;
    const r = axes.includes(d);
    const last = sizes.length - 1;
    if (last >= 0 && reduced[last] === r) sizes[last] = (sizes[last] as number) * size;
    else {
      sizes.push(size);
      reduced.push(r);
    }
  }
  const outSize = out.length;
  if (x.length === 0) {
    out.fill(0, 0, outSize);
    return out;
  }
  if (sizes.length === 0 || (sizes.length === 1 && reduced[0])) {
    // Everything reduced (or a single element): one sum, from +0 as every accumulator.
    let total = 0;
    for (let i = 0; i < x.length; i++) total += x[i] as number;
    out[0] = total;
    return out;
  }
  const acc = new Float64Array(outSize);
  const outer = sizes.length - 1;
  const run = sizes[outer] as number;
  const innerReduced = reduced[outer] as boolean;
  // Output strides of the merged axes (0 for reduced ones).
  const outStrides = new Array<number>(sizes.length).fill(0);
  for (let d = sizes.length - 1, s = 1; d >= 0; d--) {
    if (!reduced[d]) {
      outStrides[d] = s;
      s *= sizes[d] as number;
    }
  }
  // The odometer over the outer merged axes: coordinates and the output offset they make.
  const coords = new Array<number>(outer).fill(0);
  let o = 0;
  for (let i = 0; i < x.length; i += run) {
    if (innerReduced) {
      let s = acc[o] as number;
      for (let j = i, end = i + run; j < end; j++) s += x[j] as number;
      acc[o] = s;
    } else {
      for (let j = 0; j < run; j++) acc[o + j] = (acc[o + j] as number) + (x[i + j] as number);
    }
    // Step the odometer: the innermost outer axis first, carrying outwards.
    for (let d = outer - 1; d >= 0; d--) {
      const c = (coords[d] as number) + 1;
      const stride = outStrides[d] as number;
      if (c < (sizes[d] as number)) {
        coords[d] = c;
        o += stride;
        break;
      }
      coords[d] = 0;
      o -= (c - 1) * stride;
    }
  }
  out.set(acc);
  return out;
}
