import type { DType } from '../../backend.js';
import { stridesOf } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import { describe } from '../../validate.js';
import { defineOp, type RefTensor } from '../define.js';
import { sameRange } from './reshape.js';

/** What the transpose kernel gets: output axis i is input axis `perm[i]`. */
export interface TransposeAttrs {
  readonly perm: readonly number[];
}

/** Permutes `values` of `shape` by `perm` (float64 reference, and the shape it makes). */
export function permute(
  values: Float64Array,
  shape: readonly number[],
  perm: readonly number[],
): Float64Array {
  const outShape = perm.map((a) => shape[a] as number);
  const inStrides = stridesOf(shape);
  const out = new Float64Array(values.length);
  const index = new Array<number>(outShape.length).fill(0);
  for (let i = 0; i < out.length; i++) {
    let from = 0;
    for (let d = 0; d < perm.length; d++)
      from += (index[d] as number) * (inStrides[perm[d] as number] as number);
    out[i] = values[from] as number;
    for (let d = outShape.length - 1; d >= 0; d--) {
      index[d] = (index[d] as number) + 1;
      if ((index[d] as number) < (outShape[d] as number)) break;
      index[d] = 0;
    }
  }
  return out;
}

const TRANSPOSE = defineOp<TransposeAttrs>({
  name: 'transpose',
  family: 'shape',
  summary: 'permutes the axes (float32 or int32)',
  inputs: [{ name: 'x', dtype: 'any' }],
  attrs: (options, [x]) => {
    const rank = (x as Tensor).shape.length;
    const p = (options as number[] | undefined) ?? (x as Tensor).shape.map((_, i) => rank - 1 - i);
    if (
      !(
        Array.isArray(p) &&
        p.length === rank &&
        [...p].sort((a, b) => a - b).every((v, i) => v === i)
      )
    ) {
      throw new RangeError(
        `transpose: perm must be a permutation of 0…${rank - 1}, got ${describe(options)}`,
      );
    }
    return { perm: [...p] };
  },
  output: ([x], { perm }) => ({
    shape: perm.map((a) => (x as Tensor).shape[a] as number),
    dtype: (x as Tensor<DType>).dtype,
  }),
  gradient: ({ attrs: { perm }, dy }) => {
    const inverse = new Array<number>(perm.length);
    perm.forEach((axis, i) => {
      inverse[axis] = i;
    });
    return [transpose(dy as Tensor, inverse)];
  },
  reference: ([x], { perm }) => permute((x as RefTensor).values, (x as RefTensor).shape, perm),
  valueRange: sameRange,
  tolerance: { roundings: 0, scale: 'output' },
  cases: [
    { name: '[2, 3] reversed', inputs: [{ shape: [2, 3] }] },
    { name: '[2, 3, 4] by [1, 2, 0]', inputs: [{ shape: [2, 3, 4] }], options: [1, 2, 0] },
    {
      name: 'int32 [2, 3]',
      inputs: [{ shape: [2, 3], dtype: 'int32', values: [0, 1, 2, 3, 4, -5] }],
      options: [1, 0],
    },
  ],
  errors: [
    {
      name: 'not a permutation',
      inputs: [{ shape: [2, 3] }],
      options: [0, 0],
      throws: /transpose: perm must be a permutation of 0…1, got \[0, 0\]/,
    },
  ],
});

/** Permutes the axes (default: reversed). */
export function transpose<D extends DType = 'float32'>(
  x: Tensor<D>,
  perm?: readonly number[],
): Tensor<D> {
  return TRANSPOSE.run([x], perm) as Tensor<D>;
}
