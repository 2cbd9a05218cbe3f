import type { DType } from '../../backend.js';
import { formatShape } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import { describe } from '../../validate.js';
import { defineOp, type RefTensor, type ValueRange } from '../define.js';
import { slice } from './slice.js';

/** What the concat kernel gets: the axis, in range. */
export interface ConcatAttrs {
  readonly axis: number;
}

const CONCAT = defineOp<ConcatAttrs>({
  name: 'concat',
  family: 'shape',
  summary: 'tensors joined along an axis (all float32 or all int32)',
  inputs: { variadic: { name: 'tensors', dtype: 'any' }, min: 1 },
  attrs: (options, tensors) => {
    const rank = (tensors[0] as Tensor).shape.length;
    const axis = options === undefined ? 0 : options;
    if (!(typeof axis === 'number' && Number.isInteger(axis) && axis >= -rank && axis < rank)) {
      throw new RangeError(
        `concat: axis must be an integer in [${-rank}, ${rank}), got ${describe(options)}`,
      );
    }
    return { axis: axis < 0 ? axis + rank : axis };
  },
  output: (tensors, { axis }) => {
    const first = tensors[0] as Tensor<DType>;
    let total = 0;
    tensors.forEach((t, i) => {
      const s = t.shape;
      if (t.dtype !== first.dtype) {
        throw new TypeError(
          `concat: tensors[${i}] is ${t.dtype} but tensors[0] is ${first.dtype}: join tensors of one dtype`,
        );
      }
      if (s.length !== first.shape.length || s.some((d, k) => k !== axis && d !== first.shape[k])) {
        throw new RangeError(
          `concat: tensors[${i}] has shape ${formatShape(s)}, which differs from tensors[0] ${formatShape(first.shape)} off axis ${axis}`,
        );
      }
      total += s[axis] as number;
    });
    return { shape: first.shape.map((d, k) => (k === axis ? total : d)), dtype: first.dtype };
  },
  gradient: ({ inputs, attrs: { axis }, dy }) => {
    let at = 0;
    return inputs.map((t) => {
      const begin = t.shape.map((_, k) => (k === axis ? at : 0));
      at += t.shape[axis] as number;
      return slice(dy as Tensor, begin, t.shape);
    });
  },
  reference: (tensors, { axis }) => {
    const first = tensors[0] as RefTensor;
    const outer = first.shape.slice(0, axis).reduce((p, q) => p * q, 1);
    const inner = first.shape.slice(axis + 1).reduce((p, q) => p * q, 1);
    const parts: number[] = [];
    for (let o = 0; o < outer; o++) {
      for (const t of tensors) {
        const chunk = (t.shape[axis] as number) * inner;
        parts.push(...t.values.subarray(o * chunk, (o + 1) * chunk));
      }
    }
    return Float64Array.from(parts);
  },
  valueRange: (ranges): ValueRange | undefined => {
    if (ranges.some((r) => r === undefined)) return undefined;
    const known = ranges as ValueRange[];
    return [Math.min(...known.map((r) => r[0])), Math.max(...known.map((r) => r[1]))];
  },
  tolerance: { roundings: 0, scale: 'output' },
  cases: [
    {
      name: 'three along axis 0',
      inputs: [{ shape: [2, 3] }, { shape: [1, 3] }, { shape: [3, 3] }],
    },
    {
      name: 'two along axis 1 of 3-D',
      inputs: [{ shape: [2, 2, 3] }, { shape: [2, 4, 3] }],
      options: 1,
    },
    {
      name: 'along the last axis (−1)',
      inputs: [{ shape: [2, 2] }, { shape: [2, 1] }],
      options: -1,
    },
    { name: 'one tensor', inputs: [{ shape: [3] }] },
    {
      name: 'int32',
      inputs: [
        { shape: [2], dtype: 'int32', values: [1, 2] },
        { shape: [1], dtype: 'int32', values: [-3] },
      ],
    },
  ],
  errors: [
    {
      name: 'shapes differ off the axis',
      inputs: [{ shape: [2, 3] }, { shape: [2, 4] }],
      throws:
        /concat: tensors\[1\] has shape \[2, 4\], which differs from tensors\[0\] \[2, 3\] off axis 0/,
    },
    {
      name: 'dtypes differ',
      inputs: [{ shape: [2] }, { shape: [2], dtype: 'int32', values: [1, 2] }],
      throws: /concat: tensors\[1\] is int32 but tensors\[0\] is float32/,
    },
    {
      name: 'axis out of range',
      inputs: [{ shape: [2] }],
      options: 1,
      throws: /concat: axis must be an integer in \[-1, 1\), got 1/,
    },
  ],
});

/** `tensors` joined along `axis` (default 0; negative from the end), as `tf.concat`. */
export function concat<D extends DType = 'float32'>(
  tensors: readonly Tensor<D>[],
  axis = 0,
): Tensor<D> {
  return CONCAT.run(tensors, axis) as Tensor<D>;
}
