/**
 * The `gather` kernel (a float32 or int32 table): rows of the table along axis 0 picked by int32
 * indices, each index checked first. Moves int32 bits; split between threads by indices when
 * large.
 */
import { sizeOf } from '@illia-ts/core';
import { bitsOf, type CpuKernel, outputArray } from './context.js';

/**
 * Throws a RangeError naming `where` and the first index outside `[0, rows)` (core checks ranges
 * it knows; this catches the rest, so no kernel reads out of bounds).
 */
export function checkIndices(where: string, what: string, indices: Int32Array, rows: number): void {
  for (let i = 0; i < indices.length; i++) {
    const v = indices[i] as number;
    if (v < 0 || v >= rows) {
      throw new RangeError(`${where}: ${what} must be in [0, ${rows}), got ${v} at index ${i}`);
    }
  }
}

export const gather: CpuKernel = (ctx, [table, indices], _attrs, { shape, dtype }) => {
  const idx = indices!.values as Int32Array;
  checkIndices('gather', 'indices', idx, table!.shape[0] as number);
  const row = sizeOf(table!.shape.slice(1));
  const n = idx.length * row;
  const split = ctx.splits(n, idx.length);
  const out = outputArray(ctx, dtype, n, split);
  if (split) {
    const job = { table: bitsOf(ctx.share(table!.values)), indices: ctx.share(idx), row };
    ctx.runSplit({ kind: 'gather', ...job, out: bitsOf(out) }, idx.length);
  } else {
    gatherRange(bitsOf(table!.values), idx, bitsOf(out), row, 0, idx.length);
  }
  return ctx.wrap(out, shape);
};

/** Rows shorter than this are copied by a loop; longer ones by `set` (a memcpy). */
const SET_FROM = 48;

/** Writes the rows picked by indices `[first, end)` to `out`. */
export function gatherRange(
  table: Int32Array,
  indices: Int32Array,
  out: Int32Array,
  row: number,
  first: number,
  end: number,
): void {
  for (let k = first; k < end; k++) {
    const from = (indices[k] as number) * row;
    const to = k * row;
    if (row >= SET_FROM) {
      out.set(table.subarray(from, from + row), to);
    } else {
      for (let j = 0; j < row; j++) out[to + j] = table[from + j] as number;
    }
  }
}
