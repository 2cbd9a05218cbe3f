import { formatShape } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import { describe } from '../../validate.js';
import { defineOp, type RefTensor } from '../define.js';
import { checkIndexRange, gather } from './gather.js';

/** What the scatterAdd kernel gets: the number of rows of the output. */
export interface ScatterAddAttrs {
  readonly rows: number;
}

const SCATTER_ADD = defineOp<ScatterAddAttrs>({
  name: 'scatterAdd',
  family: 'indexing',
  summary: "zeros of [rows, ...] with each updates row added at its index (gather's gradient)",
  inputs: [
    { name: 'updates', dtype: 'float32' },
    { name: 'indices', dtype: 'int32' },
  ],
  attrs: (options) => {
    const rows = (options as { rows?: unknown } | undefined)?.rows;
    if (!(typeof rows === 'number' && Number.isSafeInteger(rows) && rows >= 1)) {
      throw new RangeError(`scatterAdd: rows must be an integer ≥ 1, got ${describe(rows)}`);
    }
    return { rows };
  },
  output: ([updates, indices], { rows }) => {
    const u = (updates as Tensor).shape;
    const i = (indices as Tensor<'int32'>).shape;
    if (u.length < i.length || i.some((d, k) => d !== u[k])) {
      throw new RangeError(
        `scatterAdd: updates must start with the indices' shape ${formatShape(i)}, got ${formatShape(u)}`,
      );
    }
    checkIndexRange('scatterAdd', indices as Tensor<'int32'>, rows);
    return { shape: [rows, ...u.slice(i.length)], dtype: 'float32' };
  },
  gradient: ({ inputs: [, indices], dy }) => [
    gather(dy as Tensor, indices as Tensor<'int32'>),
    null,
  ],
  reference: ([updates, indices], { rows }) => {
    const u = updates as RefTensor;
    const i = (indices as RefTensor).values;
    const row = u.values.length / Math.max(1, i.length);
    const out = new Float64Array(rows * row);
    i.forEach((r, k) => {
      for (let j = 0; j < row; j++)
        out[r * row + j] = (out[r * row + j] as number) + (u.values[k * row + j] as number);
    });
    return out;
  },
  tolerance: { roundings: ([, indices]) => (indices?.values.length ?? 0) + 1, scale: 'abs-inputs' },
  cases: [
    {
      name: '[4, 3] into 5 rows (a repeat)',
      inputs: [{ shape: [4, 3] }, { shape: [4], dtype: 'int32', values: [4, 0, 2, 0] }],
      options: { rows: 5 },
    },
    {
      name: '[2, 3, 2] by [2, 3]',
      inputs: [{ shape: [2, 3, 2] }, { shape: [2, 3], dtype: 'int32', values: [1, 1, 1, 0, 3, 1] }],
      options: { rows: 4 },
    },
  ],
  errors: [
    {
      name: 'shapes disagree',
      inputs: [{ shape: [3, 2] }, { shape: [4], dtype: 'int32', values: [0, 1, 2, 3] }],
      options: { rows: 5 },
      throws: /scatterAdd: updates must start with the indices' shape \[4\], got \[3, 2\]/,
    },
    {
      name: 'index out of range',
      inputs: [{ shape: [2, 2] }, { shape: [2], dtype: 'int32', values: [0, 7] }],
      options: { rows: 5 },
      throws: /scatterAdd: indices must be in \[0, 5\), got values in \[0, 7\]/,
    },
  ],
});

/**
 * Zeros of `[rows, ...updates.shape.slice(indices.rank)]` with each row of `updates` added at its
 * index in `indices` (repeats add up): the gradient of {@link gather}.
 */
export function scatterAdd(updates: Tensor, indices: Tensor<'int32'>, rows: number): Tensor {
  return SCATTER_ADD.run([updates, indices], { rows }) as Tensor;
}
