import { broadcastShapes, formatShape, sameShape, stridesOf } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import { describe } from '../../validate.js';
import { defineOp, filledOn, type RefTensor } from '../define.js';
import { add } from '../elementwise/add.js';
import { mul } from '../elementwise/mul.js';
import { sum } from '../reduction/sum.js';
import { reshape } from './reshape.js';

/** What the broadcastTo kernel gets: the output shape, which x broadcasts to (NumPy's rules). */
export interface BroadcastToAttrs {
  readonly shape: readonly number[];
}

const BROADCAST_TO = defineOp<BroadcastToAttrs>({
  name: 'broadcastTo',
  family: 'shape',
  summary: "x repeated along broadcast axes to a shape (NumPy's rules); sum's gradient",
  inputs: [{ name: 'x', dtype: 'float32' }],
  attrs: (options, [x]) => {
    const from = (x as Tensor).shape;
    const shape = options as unknown;
    if (
      !(
        Array.isArray(shape) &&
        shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)
      )
    ) {
      throw new TypeError(
        `broadcastTo: shape must be an array of integers ≥ 0, got ${describe(options)}`,
      );
    }
    const to = broadcastShapes(from, shape);
    if (to === null || !sameShape(to, shape)) {
      throw new RangeError(
        `broadcastTo: x of shape ${formatShape(from)} does not broadcast to ${formatShape(shape)}`,
      );
    }
    return { shape: [...shape] };
  },
  output: (_inputs, { shape }) => ({ shape, dtype: 'float32' }),
  // Multiplying by ones: what every backend without the kernel does (a pass more than a copy).
  fallback: ([x], { shape }) => {
    const ones = filledOn((x as Tensor).backend, shape, 1);
    try {
      return mul(x as Tensor, ones);
    } finally {
      ones.dispose();
    }
  },
  // The gradient of a broadcast: dy summed over the axes x was repeated along.
  gradient: ({ inputs: [x], dy }) => {
    const from = (x as Tensor).shape;
    const g = dy as Tensor;
    const lead = g.shape.length - from.length;
    const axes: number[] = [];
    g.shape.forEach((dim, d) => {
      if (d < lead || (from[d - lead] === 1 && dim !== 1)) axes.push(d);
    });
    if (axes.length === 0) return [reshape(g, from)];
    const summed = sum(g, axes);
    return [sameShape(summed.shape, from) ? summed : reshape(summed, from)];
  },
  reference: ([x], { shape }) => {
    const r = x as RefTensor;
    const lead = shape.length - r.shape.length;
    const inStrides = stridesOf(r.shape);
    // The stride in x of each output axis: 0 where x is repeated along it.
    const strides = shape.map((dim, d) =>
      d < lead || (r.shape[d - lead] === 1 && dim !== 1) ? 0 : (inStrides[d - lead] as number),
    );
    const out = new Float64Array(shape.reduce((p, q) => p * q, 1));
    const index = new Array<number>(shape.length).fill(0);
    for (let i = 0; i < out.length; i++) {
      let at = 0;
      for (let d = 0; d < shape.length; d++) at += (index[d] as number) * (strides[d] as number);
      out[i] = r.values[at] as number;
      for (let d = shape.length - 1; d >= 0; d--) {
        index[d] = (index[d] as number) + 1;
        if ((index[d] as number) < (shape[d] as number)) break;
        index[d] = 0;
      }
    }
    return out;
  },
  tolerance: { roundings: 0, scale: 'output' },
  cases: [
    { name: 'a scalar to [2, 3]', inputs: [{ shape: [] }], options: [2, 3] },
    { name: 'a row [3] to [2, 3]', inputs: [{ shape: [3] }], options: [2, 3] },
    { name: 'a column [2, 1] to [2, 3]', inputs: [{ shape: [2, 1] }], options: [2, 3] },
    { name: '[4, 1, 3] to [2, 4, 5, 3]', inputs: [{ shape: [4, 1, 3] }], options: [2, 4, 5, 3] },
    { name: 'the same shape', inputs: [{ shape: [2, 3] }], options: [2, 3] },
  ],
  errors: [
    {
      name: 'a shape x does not broadcast to',
      inputs: [{ shape: [2, 3] }],
      options: [4],
      throws: /broadcastTo: x of shape \[2, 3\] does not broadcast to \[4\]/,
    },
    {
      name: 'a shape that is not integers',
      inputs: [{ shape: [3] }],
      options: [1.5, 3],
      throws: /broadcastTo: shape must be an array of integers ≥ 0, got/,
    },
  ],
});

/** `x` repeated along broadcast axes to `shape` (NumPy's rules): a new tensor. */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(x.shape, shape)) return add(x, 0);
  return BROADCAST_TO.run([x], shape) as Tensor;
}
