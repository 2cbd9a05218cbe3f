import type { DType } from '../../backend.js';
import type { Tensor } from '../../tensor.js';
import { defineOp, type RefTensor } from '../define.js';
import { scatterAdd } from './scatter-add.js';

/**
 * Checks an int32 index tensor's known range against [0, rows): a range carried from host values
 * (see `Tensor.valueRange`) is checked here, before any backend work; an unknown one is checked
 * by the kernels that can (cpu) and is the caller's promise elsewhere.
 */
export function checkIndexRange(where: string, indices: Tensor<DType>, rows: number): void {
  const range = indices.valueRange;
  if (range !== undefined && (range[0] < 0 || range[1] >= rows)) {
    throw new RangeError(
      `${where}: indices must be in [0, ${rows}), got values in [${range[0]}, ${range[1]}]`,
    );
  }
}

const GATHER = defineOp({
  name: 'gather',
  family: 'indexing',
  summary: 'rows of table (along axis 0) picked by int32 indices of any shape',
  inputs: [
    { name: 'table', dtype: 'any' },
    { name: 'indices', dtype: 'int32' },
  ],
  output: ([table, indices]) => {
    const t = table as Tensor<DType>;
    const i = indices as Tensor<'int32'>;
    if (t.shape.length === 0)
      throw new RangeError('gather: table must have at least one axis, got a scalar');
    checkIndexRange('gather', i, t.shape[0] as number);
    return { shape: [...i.shape, ...t.shape.slice(1)], dtype: t.dtype };
  },
  gradient: ({ inputs: [table, indices], dy }) => [
    scatterAdd(dy as Tensor, indices as Tensor<'int32'>, (table as Tensor).shape[0] as number),
    null,
  ],
  reference: ([table, indices]) => {
    const t = table as RefTensor;
    const row = t.shape.slice(1).reduce((p, q) => p * q, 1);
    const i = (indices as RefTensor).values;
    const out = new Float64Array(i.length * row);
    i.forEach((r, k) => {
      out.set(t.values.subarray(r * row, (r + 1) * row), k * row);
    });
    return out;
  },
  valueRange: (ranges) => ranges[0],
  tolerance: { roundings: 0, gradientRoundings: 8, scale: 'output' },
  cases: [
    {
      name: 'rows of [5, 3] by [4] (a repeat)',
      inputs: [{ shape: [5, 3] }, { shape: [4], dtype: 'int32', values: [4, 0, 2, 0] }],
    },
    {
      name: 'rows of [6, 2, 2] by [2, 3]',
      inputs: [{ shape: [6, 2, 2] }, { shape: [2, 3], dtype: 'int32', values: [5, 1, 1, 0, 3, 1] }],
    },
    {
      name: 'of a vector by a scalar index',
      inputs: [{ shape: [4] }, { shape: [], dtype: 'int32', values: [2] }],
    },
    {
      name: 'int32 table',
      inputs: [
        { shape: [3, 2], dtype: 'int32', values: [1, 2, 3, 4, 5, 6] },
        { shape: [2], dtype: 'int32', values: [2, 0] },
      ],
    },
  ],
  errors: [
    {
      name: 'float indices',
      inputs: [{ shape: [5, 3] }, { shape: [2] }],
      throws: /gather: indices must be an? int32 tensor, got float32/,
    },
    {
      name: 'index out of range',
      inputs: [{ shape: [5, 3] }, { shape: [2], dtype: 'int32', values: [1, 5] }],
      throws: /gather: indices must be in \[0, 5\), got values in \[1, 5\]/,
    },
    {
      name: 'negative index',
      inputs: [{ shape: [5, 3] }, { shape: [1], dtype: 'int32', values: [-1] }],
      throws: /gather: indices must be in \[0, 5\), got values in \[-1, -1\]/,
    },
  ],
});

/**
 * Rows of `table` (its first axis) picked by int32 `indices` of any shape:
 * `[...indices.shape, ...table.shape.slice(1)]`. Its gradient adds dy into the picked rows.
 */
export function gather<D extends DType = 'float32'>(
  table: Tensor<D>,
  indices: Tensor<'int32'>,
): Tensor<D> {
  return GATHER.run([table, indices]) as Tensor<D>;
}
