/**
 * The `broadcastTo` kernel: copies of x's trailing run, or fills of one value, along the repeated
 * axes. A scalar broadcast (sum's gradient) is one `fill`, where core's fallback multiplies a
 * ones tensor.
 */
import { type BroadcastToAttrs, stridesOf } from '@illia-ts/core';
import { type CpuKernel, floats } from './context.js';

export const broadcastTo: CpuKernel<BroadcastToAttrs> = (ctx, [x], { shape }) => {
  const from = floats(x!);
  const n = shape.reduce((p, q) => p * q, 1);
  const out = ctx.float32(n);
  if (n > 0) broadcastInto(from, x!.shape, shape, out);
  return ctx.wrap(out, shape);
};

/** Writes `x` (of `from`) broadcast to `to` into `out`. */
function broadcastInto(
  x: Float32Array,
  from: readonly number[],
  to: readonly number[],
  out: Float32Array,
): void {
  const rank = to.length;
  const aligned = [...new Array<number>(rank - from.length).fill(1), ...from];
  // Trailing axes x has in full make a run copied whole; the axes before them that x repeats
  // make `repeats` copies of it (or fills, for a run of one).
  let d = rank;
  let run = 1;
  while (d > 0 && aligned[d - 1] === to[d - 1]) run *= to[--d] as number;
  let repeats = 1;
  while (d > 0 && aligned[d - 1] === 1) repeats *= to[--d] as number;
  const outerShape = to.slice(0, d);
  const xStrides = stridesOf(aligned);
  const strides = outerShape.map((dim, k) => (aligned[k] === 1 && dim !== 1 ? 0 : xStrides[k]));
  const outer = outerShape.reduce((p, q) => p * q, 1);
  const index = new Array<number>(d).fill(0);
  let at = 0;
  let o = 0;
  for (let i = 0; i < outer; i++) {
    if (run === 1) {
      out.fill(x[at] as number, o, o + repeats);
      o += repeats;
    } else {
      const source = x.subarray(at, at + run);
      for (let r = 0; r < repeats; r++, o += run) out.set(source, o);
    }
    for (let k = d - 1; k >= 0; k--) {
      index[k] = (index[k] as number) + 1;
      at += strides[k] as number;
      if ((index[k] as number) < (outerShape[k] as number)) break;
      at -= (index[k] as number) * (strides[k] as number);
      index[k] = 0;
    }
  }
}
