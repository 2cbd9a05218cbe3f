import { formatShape, sameShape } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import { defineOp, type RefTensor } from '../define.js';
import { greater } from './greater.js';
import { mul } from './mul.js';

const RELU_GRAD = defineOp({
  name: 'reluGrad',
  family: 'elementwise',
  summary: "relu's gradient: dy where x > 0, else dy · 0 (NaN stays NaN); one pass where fused",
  inputs: [
    { name: 'x', dtype: 'float32' },
    { name: 'dy', dtype: 'float32' },
  ],
  output: ([x, dy]) => {
    const shape = (x as Tensor).shape;
    if (!sameShape((dy as Tensor).shape, shape)) {
      throw new RangeError(
        `reluGrad: dy must have x's shape ${formatShape(shape)}, got ${formatShape((dy as Tensor).shape)}`,
      );
    }
    return { shape, dtype: 'float32' };
  },
  fallback: ([x, dy]) => mul(dy as Tensor, greater(x as Tensor, 0)),
  // Linear in dy with the same mask; relu's second derivative is 0 wherever it exists.
  gradient: ({ inputs: [x], dy }) => [null, reluGrad(x as Tensor, dy as Tensor)],
  reference: ([x, dy]) =>
    (dy as RefTensor).values.map(
      (g, i) => g * (((x as RefTensor).values[i] as number) > 0 ? 1 : 0),
    ),
  tolerance: { roundings: 0, scale: 'output' },
  cases: [
    {
      name: 'both signs, zero and the tails',
      inputs: [
        { shape: [6], values: [-3.5, -1e-20, 0, 1e-20, 2, 1e30] },
        { shape: [6], values: [0.5, -0.7, 1.1, -1.3, 0.9, -0.4] },
      ],
      // Central differences in x straddle the kink at 0.
      gradient: false,
    },
    { name: '[2, 3]', inputs: [{ shape: [2, 3] }, { shape: [2, 3] }] },
  ],
  errors: [
    {
      name: 'dy of another shape',
      inputs: [{ shape: [2, 3] }, { shape: [3, 2] }],
      throws: /reluGrad: dy must have x's shape \[2, 3\], got \[3, 2\]/,
    },
  ],
});

/** The gradient of `relu(x)` given the output's, `dy`: `dy · (x > 0)`. */
export function reluGrad(x: Tensor, dy: Tensor): Tensor {
  return RELU_GRAD.run([x, dy]) as Tensor;
}
