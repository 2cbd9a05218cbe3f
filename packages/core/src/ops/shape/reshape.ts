import type { DType } from '../../backend.js';
import { formatShape, sizeOf } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import { checkShape } from '../../validate.js';
import { defineOp, type ValueRange } from '../define.js';

/** What the reshape kernel gets: the new shape (of the same size). */
export interface ReshapeAttrs {
  readonly shape: readonly number[];
}

/** Values pass through unchanged: the output's range is the input's. */
export const sameRange = (ranges: readonly (ValueRange | undefined)[]): ValueRange | undefined =>
  ranges[0];

const RESHAPE = defineOp<ReshapeAttrs>({
  name: 'reshape',
  family: 'shape',
  summary: 'the same values, row-major, in another shape of the same size (float32 or int32)',
  inputs: [{ name: 'x', dtype: 'any' }],
  attrs: (options, [x]) => {
    const dims = checkShape('reshape', 'shape', options);
    const t = x as Tensor<DType>;
    if (sizeOf(dims) !== t.size) {
      throw new RangeError(
        `reshape: shape ${formatShape(dims)} holds ${sizeOf(dims)} values, but x (shape ${formatShape(t.shape)}) has ${t.size}`,
      );
    }
    return { shape: dims };
  },
  output: ([x], { shape }) => ({ shape, dtype: (x as Tensor<DType>).dtype }),
  gradient: ({ inputs: [x], dy }) => [reshape(dy as Tensor, (x as Tensor).shape)],
  reference: ([x]) => (x as { values: Float64Array }).values.slice(),
  valueRange: sameRange,
  tolerance: { roundings: 0, scale: 'output' },
  cases: [
    { name: '[2, 3] to [3, 2]', inputs: [{ shape: [2, 3] }], options: [3, 2] },
    { name: '[6] to [1, 2, 3]', inputs: [{ shape: [6] }], options: [1, 2, 3] },
    {
      name: 'int32 [2, 2] to [4]',
      inputs: [{ shape: [2, 2], dtype: 'int32', values: [1, -2, 3, 7] }],
      options: [4],
    },
  ],
  errors: [
    {
      name: 'size differs',
      inputs: [{ shape: [2, 3] }],
      options: [4],
      throws: /reshape: shape \[4\] holds 4 values, but x \(shape \[2, 3\]\) has 6/,
    },
    {
      name: 'bad dimension',
      inputs: [{ shape: [2, 3] }],
      options: [2, -3],
      throws: /reshape: shape\[1\] must be a positive integer, got -3/,
    },
  ],
});

/** The same values in another shape of the same size. */
export function reshape<D extends DType = 'float32'>(
  x: Tensor<D>,
  shape: readonly number[],
): Tensor<D> {
  return RESHAPE.run([x], shape) as Tensor<D>;
}
