import type { DType } from '../../backend.js';
import { formatShape, stridesOf } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import { describe } from '../../validate.js';
import { defineOp, type RefTensor, type ValueRange } from '../define.js';
import { slice } from './slice.js';

/** What the pad kernel gets: zeros before and after, along every axis. */
export interface PadAttrs {
  readonly paddings: readonly (readonly [number, number])[];
}

const PAD = defineOp<PadAttrs>({
  name: 'pad',
  family: 'shape',
  summary: 'x with zeros added before and after along each axis (float32 or int32)',
  inputs: [{ name: 'x', dtype: 'any' }],
  attrs: (options, [x]) => {
    const shape = (x as Tensor).shape;
    const p = options as unknown;
    const ok = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
    if (
      !(
        Array.isArray(p) &&
        p.length === shape.length &&
        p.every((q) => Array.isArray(q) && q.length === 2 && ok(q[0]) && ok(q[1]))
      )
    ) {
      throw new RangeError(
        `pad: paddings must be one [before, after] pair of integers ≥ 0 per axis of x ${formatShape(shape)}, got ${describe(options)}`,
      );
    }
    return { paddings: (p as [number, number][]).map(([a, b]) => [a, b] as const) };
  },
  output: ([x], { paddings }) => ({
    shape: (x as Tensor).shape.map(
      (dim, d) =>
        dim +
        (paddings[d] as readonly [number, number])[0] +
        (paddings[d] as readonly [number, number])[1],
    ),
    dtype: (x as Tensor<DType>).dtype,
  }),
  gradient: ({ inputs: [x], attrs: { paddings }, dy }) => [
    slice(
      dy as Tensor,
      paddings.map(([before]) => before),
      (x as Tensor).shape,
    ),
  ],
  reference: ([x], { paddings }) => {
    const r = x as RefTensor;
    const outShape = r.shape.map(
      (dim, d) =>
        dim +
        (paddings[d] as readonly [number, number])[0] +
        (paddings[d] as readonly [number, number])[1],
    );
    const strides = stridesOf(outShape);
    const out = new Float64Array(outShape.reduce((p, q) => p * q, 1));
    const index = new Array<number>(r.shape.length).fill(0);
    for (let i = 0; i < r.values.length; i++) {
      let to = 0;
      for (let d = 0; d < r.shape.length; d++)
        to +=
          ((index[d] as number) + (paddings[d] as readonly [number, number])[0]) *
          (strides[d] as number);
      out[to] = r.values[i] as number;
      for (let d = r.shape.length - 1; d >= 0; d--) {
        index[d] = (index[d] as number) + 1;
        if ((index[d] as number) < (r.shape[d] as number)) break;
        index[d] = 0;
      }
    }
    return out;
  },
  valueRange: (ranges): ValueRange | undefined => {
    const r = ranges[0];
    return r === undefined ? undefined : [Math.min(r[0], 0), Math.max(r[1], 0)];
  },
  tolerance: { roundings: 0, scale: 'output' },
  cases: [
    {
      name: '[2, 3] by [[1, 0], [2, 1]]',
      inputs: [{ shape: [2, 3] }],
      options: [
        [1, 0],
        [2, 1],
      ],
    },
    {
      name: 'int32 [3] by [[0, 2]]',
      inputs: [{ shape: [3], dtype: 'int32', values: [4, 5, 6] }],
      options: [[0, 2]],
    },
  ],
  errors: [
    {
      name: 'negative padding',
      inputs: [{ shape: [2, 3] }],
      options: [
        [0, 0],
        [-1, 0],
      ],
      throws:
        /pad: paddings must be one \[before, after\] pair of integers ≥ 0 per axis of x \[2, 3\]/,
    },
  ],
});

/** `x` with `paddings[d] = [before, after]` zeros added along each axis d (as `tf.pad`). */
export function pad<D extends DType = 'float32'>(
  x: Tensor<D>,
  paddings: readonly (readonly [number, number])[],
): Tensor<D> {
  return PAD.run([x], paddings) as Tensor<D>;
}
