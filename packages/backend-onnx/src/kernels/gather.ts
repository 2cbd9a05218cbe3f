/**
 * Rows of a float32 or int32 table picked by int32 indices: ONNX Gather on axis 0 (int32 indices
 * are fine for ORT's Gather).
 */
import type { GraphBuilder } from '../graph/graph-builder.js';
import { attr } from '../graph/graph-builder.js';
import { DataType } from '../proto/onnx.js';
import type { OnnxKernel } from './kernel.js';

/**
 * The indices with every negative one moved below −rows. ORT's Gather and ScatterElements read a
 * negative index as counted from the end (−1: the last row) and fail on one outside
 * [−rows, rows); moved, a negative index fails the run like one ≥ rows, so a bad index (core
 * checks those whose range it knows) fails the read instead of picking a row silently. In int32
 * up to 2^30 rows (where `index − rows` either stays below −rows or wraps to at least
 * 2^31 − rows ≥ rows: out of range both ways); in int64 beyond, where it could wrap into range.
 */
export function emitIndexGuard(g: GraphBuilder, indices: string, rows: number): string {
  const negative = g.op('Less', [indices, g.int32(0)]);
  if (rows <= 2 ** 30) {
    return g.op('Where', [negative, g.op('Sub', [indices, g.int32(rows)]), indices]);
  }
  const wide = g.op('Cast', [indices], [attr.int('to', DataType.INT64)]);
  return g.op('Where', [negative, g.op('Sub', [wide, g.int64(rows)]), wide]);
}

export const gather: OnnxKernel = ([table]) => {
  const rows = table?.shape[0] as number;
  return {
    signature: `gather{${rows}}`,
    emit: (g, [t, indices]) =>
      g.op(
        'Gather',
        [t as string, emitIndexGuard(g, indices as string, rows)],
        [attr.int('axis', 0)],
      ),
  };
};
