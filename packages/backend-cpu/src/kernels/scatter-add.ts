/**
 * The `scatterAdd` kernel: zeros of `[rows, …]` with each row of `updates` added at its index.
 * The indices are checked, then sorted by destination row (a stable counting sort), so each output
 * row is one float64 sum of its updates in index order (the reference's order), rounded once, and
 * output rows are independent: split between threads by rows when large.
 */
import { type ScatterAddAttrs, sizeOf } from '@illia-ts/core';
import { type CpuKernel, floats } from './context.js';
import { checkIndices } from './gather.js';

export const scatterAdd: CpuKernel<ScatterAddAttrs> = (
  ctx,
  [updates, indices],
  { rows },
  { shape },
) => {
  const idx = indices!.values as Int32Array;
  checkIndices('scatterAdd', 'indices', idx, rows);
  const row = sizeOf(shape.slice(1));
  const split = ctx.splits(rows * row + idx.length * row, rows);
  const int32 = (n: number) =>
    split ? new Int32Array(new SharedArrayBuffer(4 * Math.max(n, 1))) : new Int32Array(n);
  // starts[r] … starts[r + 1]: where row r's updates are listed in `order`.
  const starts = int32(rows + 1);
  for (let k = 0; k < idx.length; k++) {
    const at = (idx[k] as number) + 1;
    starts[at] = (starts[at] as number) + 1;
  }
  for (let r = 0; r < rows; r++) starts[r + 1] = (starts[r + 1] as number) + (starts[r] as number);
  const order = int32(idx.length);
  const next = starts.slice(0, rows);
  for (let k = 0; k < idx.length; k++) {
    const r = idx[k] as number;
    const at = next[r] as number;
    order[at] = k;
    next[r] = at + 1;
  }
  const out = ctx.float32(rows * row, split);
  const u = floats(updates!);
  if (split) {
    ctx.runSplit({ kind: 'scatterAdd', updates: ctx.share(u), starts, order, out, row }, rows);
  } else {
    scatterAddRows(u, starts, order, out, row, 0, rows);
  }
  return ctx.wrap(out, shape);
};

/** This thread's float64 row, kept between calls while small. */
let scratch = new Float64Array(0);

/** Writes output rows `[first, end)`: each the float64 sum `0 + u₁ + u₂ + …` of its updates. */
export function scatterAddRows(
  updates: Float32Array,
  starts: Int32Array,
  order: Int32Array,
  out: Float32Array,
  row: number,
  first: number,
  end: number,
): void {
  let acc = scratch;
  if (acc.length < row) {
    acc = new Float64Array(row);
    if (row <= 65536) scratch = acc;
  }
  for (let r = first; r < end; r++) {
    const s = starts[r] as number;
    const e = starts[r + 1] as number;
    const o = r * row;
    if (e === s) {
      out.fill(0, o, o + row);
    } else if (e === s + 1) {
      // 0 + u: u itself, but for −0, which becomes +0 as in the sum.
      const from = (order[s] as number) * row;
      for (let j = 0; j < row; j++) out[o + j] = (updates[from + j] as number) + 0;
    } else {
      acc.fill(0, 0, row);
      for (let t = s; t < e; t++) {
        const from = (order[t] as number) * row;
        for (let j = 0; j < row; j++) acc[j] = (acc[j] as number) + (updates[from + j] as number);
      }
      for (let j = 0; j < row; j++) out[o + j] = acc[j] as number;
    }
  }
}
