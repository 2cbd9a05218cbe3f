/**
 * Zeros of `[rows, ...]` with each update row added at its index: ONNX ScatterElements with
 * reduction `add` on rows of the flattened update, each index repeated along its row. Repeated
 * indices add up: ORT's ScatterElements reduces in one sequential pass. (Not ScatterND: with
 * reduction `add` ORT 1.30 splits its slices across threads and loses updates to a repeated row.)
 * An index out of [0, rows) fails the run (see emitIndexGuard).
 */
import type { ScatterAddAttrs } from '@illia-ts/core';
import { attr } from '../graph/graph-builder.js';
import { emitIndexGuard } from './gather.js';
import type { OnnxKernel } from './kernel.js';

export const scatterAdd: OnnxKernel<ScatterAddAttrs> = ([updates, indices], { rows }) => {
  const count = (indices?.size ?? 0) as number;
  const row = (updates?.size ?? 0) / Math.max(1, count);
  return {
    signature: `scatterAdd{${rows}}`,
    emit: (g, [u, i], _params, shape) => {
      const flatUpdates = g.op('Reshape', [u as string, g.int64s([count, row])]);
      const guarded = emitIndexGuard(g, i as string, rows);
      const column = g.op('Reshape', [guarded, g.int64s([count, 1])]);
      const spread = g.op('Expand', [column, g.int64s([count, row])]);
      const zeros = g.op('ConstantOfShape', [g.int64s([rows, row])]);
      const sums = g.op(
        'ScatterElements',
        [zeros, spread, flatUpdates],
        [attr.int('axis', 0), attr.string('reduction', 'add')],
      );
      return g.op('Reshape', [sums, g.int64s(shape)]);
    },
  };
};
