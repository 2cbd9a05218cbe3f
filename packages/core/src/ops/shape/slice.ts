import type { DType } from '../../backend.js';
import { formatShape, stridesOf } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import { describe } from '../../validate.js';
import { defineOp, type RefTensor } from '../define.js';
import { pad } from './pad.js';
import { sameRange } from './reshape.js';

/** What the slice kernel gets: start and size along every axis, in range, sizes ≥ 1. */
export interface SliceAttrs {
  readonly begin: readonly number[];
  readonly size: readonly number[];
}

/** Copies the block at `begin` of `size` out of `values` of `shape` (float64 reference). */
export function sliceValues(
  values: Float64Array,
  shape: readonly number[],
  begin: readonly number[],
  size: readonly number[],
): Float64Array {
  const strides = stridesOf(shape);
  const out = new Float64Array(size.reduce((p, q) => p * q, 1));
  const index = new Array<number>(size.length).fill(0);
  for (let i = 0; i < out.length; i++) {
    let from = 0;
    for (let d = 0; d < size.length; d++)
      from += ((begin[d] as number) + (index[d] as number)) * (strides[d] as number);
    out[i] = values[from] as number;
    for (let d = size.length - 1; d >= 0; d--) {
      index[d] = (index[d] as number) + 1;
      if ((index[d] as number) < (size[d] as number)) break;
      index[d] = 0;
    }
  }
  return out;
}

const SLICE = defineOp<SliceAttrs>({
  name: 'slice',
  family: 'shape',
  summary: 'the block of x at begin of size (−1: to the end), float32 or int32',
  inputs: [{ name: 'x', dtype: 'any' }],
  attrs: (options, [x]) => {
    const shape = (x as Tensor).shape;
    const o = (options ?? {}) as { begin?: unknown; size?: unknown };
    const { begin } = o;
    if (!(Array.isArray(begin) && begin.length === shape.length)) {
      throw new RangeError(
        `slice: begin must hold one start per axis of x ${formatShape(shape)}, got ${describe(begin)}`,
      );
    }
    const size = o.size === undefined ? shape.map(() => -1) : o.size;
    if (!(Array.isArray(size) && size.length === shape.length)) {
      throw new RangeError(
        `slice: size must hold one size per axis of x ${formatShape(shape)}, got ${describe(o.size)}`,
      );
    }
    const sizes = shape.map((dim, d) => {
      const b = begin[d] as unknown;
      if (!(typeof b === 'number' && Number.isSafeInteger(b) && b >= 0 && b < dim)) {
        throw new RangeError(
          `slice: begin[${d}] must be an integer in [0, ${dim}), got ${describe(b)}`,
        );
      }
      const s = size[d] as unknown;
      const n = s === -1 ? dim - b : s;
      if (!(typeof n === 'number' && Number.isSafeInteger(n) && n >= 1 && b + n <= dim)) {
        throw new RangeError(
          `slice: size[${d}] must be −1 or an integer in [1, ${dim - b}] (axis ${d} of x ${formatShape(shape)} from ${b}), got ${describe(s)}`,
        );
      }
      return n;
    });
    return { begin: [...(begin as number[])], size: sizes };
  },
  output: ([x], { size }) => ({ shape: size, dtype: (x as Tensor<DType>).dtype }),
  gradient: ({ inputs: [x], attrs: { begin, size }, dy }) => {
    const shape = (x as Tensor).shape;
    return [
      pad(
        dy as Tensor,
        shape.map((dim, d) => [
          begin[d] as number,
          dim - (begin[d] as number) - (size[d] as number),
        ]),
      ),
    ];
  },
  reference: ([x], { begin, size }) =>
    sliceValues((x as RefTensor).values, (x as RefTensor).shape, begin, size),
  valueRange: sameRange,
  tolerance: { roundings: 0, scale: 'output' },
  cases: [
    {
      name: 'rows 1–2 of [4, 3]',
      inputs: [{ shape: [4, 3] }],
      options: { begin: [1, 0], size: [2, -1] },
    },
    {
      name: 'a block of [3, 4, 5]',
      inputs: [{ shape: [3, 4, 5] }],
      options: { begin: [1, 1, 2], size: [2, 2, 3] },
    },
    {
      name: 'int32 steps of [2, 5]',
      inputs: [{ shape: [2, 5], dtype: 'int32', values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] }],
      options: { begin: [0, 3], size: [2, 1] },
    },
  ],
  errors: [
    {
      name: 'begin out of range',
      inputs: [{ shape: [4, 3] }],
      options: { begin: [4, 0] },
      throws: /slice: begin\[0\] must be an integer in \[0, 4\), got 4/,
    },
    {
      name: 'size past the end',
      inputs: [{ shape: [4, 3] }],
      options: { begin: [1, 1], size: [1, 3] },
      throws: /slice: size\[1\] must be −1 or an integer in \[1, 2\]/,
    },
    {
      name: 'begin of the wrong rank',
      inputs: [{ shape: [4, 3] }],
      options: { begin: [1] },
      throws: /slice: begin must hold one start per axis of x \[4, 3\], got \[1\]/,
    },
  ],
});

/**
 * The block of `x` that starts at `begin` (one index per axis) with `size` (one per axis; −1 or
 * omitted: to the end), as `tf.slice`.
 */
export function slice<D extends DType = 'float32'>(
  x: Tensor<D>,
  begin: readonly number[],
  size?: readonly number[],
): Tensor<D> {
  return SLICE.run([x], { begin, size }) as Tensor<D>;
}
