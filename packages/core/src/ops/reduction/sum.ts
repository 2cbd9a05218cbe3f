import { formatShape } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import { describe } from '../../validate.js';
import { defineOp, handleOf } from '../define.js';
import { add } from '../elementwise/add.js';
import { mul } from '../elementwise/mul.js';
import { broadcastTo } from '../shape/broadcast-to.js';
import { reshape } from '../shape/reshape.js';

/** What the sum kernel gets: the axes to sum, sorted, distinct, in range, at least one. */
export interface SumAttrs {
  readonly axes: readonly number[];
}

/** Normalises `axis` (a number, numbers, negative from the end, or all when omitted). */
export function axesOf(
  where: string,
  shape: readonly number[],
  axis?: number | readonly number[],
): number[] {
  const rank = shape.length;
  const requested = axis === undefined ? null : typeof axis === 'number' ? [axis] : axis;
  if (requested !== null && !Array.isArray(requested)) {
    throw new TypeError(
      `${where}: axis must be a number or an array of numbers, got ${describe(axis)}`,
    );
  }
  const axes = new Set<number>();
  for (const a of requested ?? shape.map((_, i) => i)) {
    if (!(Number.isInteger(a) && a >= -rank && a < rank)) {
      throw new RangeError(
        `${where}: axis must be integers in [${-rank}, ${rank}) for shape ${formatShape(shape)}, got ${describe(axis)}`,
      );
    }
    axes.add(a < 0 ? a + rank : a);
  }
  return [...axes].sort((p, q) => p - q);
}

const SUM = defineOp<SumAttrs>({
  name: 'sum',
  family: 'reduction',
  summary: 'sum over axes, dropping them; within 1e-4 relative for 10⁶ float32 terms',
  inputs: [{ name: 'x', dtype: 'float32' }],
  attrs: (options, [x]) => {
    const axes = axesOf('sum', (x as Tensor).shape, options as number | number[] | undefined);
    if (axes.length === 0) throw new RangeError('sum: axis must name at least one axis, got none');
    return { axes };
  },
  output: ([x], { axes }) => ({
    shape: (x as Tensor).shape.filter((_, d) => !axes.includes(d)),
    dtype: 'float32',
  }),
  gradient: ({ inputs: [x], attrs: { axes }, dy }) => {
    const shape = (x as Tensor).shape;
    const kept = shape.map((dim, d) => (axes.includes(d) ? 1 : dim));
    return [broadcastTo(reshape(dy as Tensor, kept), shape)];
  },
  reference: ([x], { axes }) => {
    const { values, shape } = x as { values: Float64Array; shape: readonly number[] };
    const outShape = shape.filter((_, d) => !axes.includes(d));
    const out = new Float64Array(outShape.reduce((p, q) => p * q, 1));
    const index = new Array<number>(shape.length).fill(0);
    for (let i = 0; i < values.length; i++) {
      let o = 0;
      for (let d = 0; d < shape.length; d++) {
        if (!axes.includes(d)) o = o * (shape[d] as number) + (index[d] as number);
      }
      out[o] = (out[o] as number) + (values[i] as number);
      for (let d = shape.length - 1; d >= 0; d--) {
        index[d] = (index[d] as number) + 1;
        if ((index[d] as number) < (shape[d] as number)) break;
        index[d] = 0;
      }
    }
    return out;
  },
  tolerance: {
    // Higham: a sum of n terms is within (n − 1)·ε·Σ|terms|, whatever the order.
    roundings: ([x], { axes }) => axes.reduce((n, d) => n * ((x?.shape[d] as number) ?? 1), 1),
    scale: 'abs-inputs',
  },
  cases: [
    { name: 'all axes of [3, 4]', inputs: [{ shape: [3, 4] }], options: [0, 1] },
    { name: 'rows of [3, 4]', inputs: [{ shape: [3, 4] }], options: [1] },
    { name: 'middle axis of [2, 3, 4]', inputs: [{ shape: [2, 3, 4] }], options: [1] },
    { name: 'outer axes of [2, 3, 4]', inputs: [{ shape: [2, 3, 4] }], options: [0, 2] },
    { name: '[1000]', inputs: [{ shape: [1000] }], options: [0] },
  ],
  errors: [
    {
      name: 'axis out of range',
      inputs: [{ shape: [2, 3] }],
      options: 2,
      throws: /sum: axis must be integers in \[-2, 2\) for shape \[2, 3\], got 2/,
    },
  ],
});

/**
 * Sum over `axis` (a number, an array of numbers, negative counting from the end) or over all
 * axes when omitted, dropping the summed axes.
 */
export function sum(x: Tensor, axis?: number | readonly number[]): Tensor {
  handleOf('sum', 'x', x);
  const axes = axesOf('sum', x.shape, axis);
  // Nothing to sum: a copy, so that the result is a tensor the caller owns.
  if (axes.length === 0) return add(x, 0);
  return SUM.run([x], axes) as Tensor;
}

/** Mean over `axis` (as {@link sum}). */
export function mean(x: Tensor, axis?: number | readonly number[]): Tensor {
  const axes = axesOf('mean', x.shape, axis);
  const count = axes.reduce((n, d) => n * (x.shape[d] as number), 1);
  const total = sum(x, axes);
  const result = mul(total, 1 / count);
  total.dispose();
  return result;
}
