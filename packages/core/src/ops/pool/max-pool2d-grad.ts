import { formatShape } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import { defineOp, type RefTensor } from '../define.js';
import { argmaxOf } from './max-pool2d.js';
import { forEachWindow, type Pool2dAttrs, pool2dAttrs, pool2dShape } from './pool-geometry.js';

/** Each window's dy added at its first maximum's position, in float64. */
function maxPoolGrad64(x: RefTensor, dy: RefTensor, a: Pool2dAttrs): Float64Array {
  const out = new Float64Array(x.values.length);
  forEachWindow(x.shape, a, (yi, xis) => {
    const at = argmaxOf(x.values, xis);
    out[at] = (out[at] as number) + (dy.values[yi] as number);
  });
  return out;
}

const MAX_POOL2D_GRAD = defineOp<Pool2dAttrs>({
  name: 'maxPool2dGrad',
  family: 'pool',
  summary: "maxPool2d's gradient: each window's dy added at its maximum's position in x",
  inputs: [
    { name: 'x', dtype: 'float32' },
    { name: 'dy', dtype: 'float32' },
  ],
  attrs: (options) => pool2dAttrs('maxPool2dGrad', options),
  output: ([x, dy], a) => {
    const expected = pool2dShape('maxPool2dGrad', (x as Tensor).shape, a);
    const got = (dy as Tensor).shape;
    if (got.length !== 4 || got.some((d, i) => d !== expected[i])) {
      throw new RangeError(
        `maxPool2dGrad: dy must have maxPool2d's output shape ${formatShape(expected)}, got ${formatShape(got)}`,
      );
    }
    return { shape: (x as Tensor).shape, dtype: 'float32' };
  },
  reference: ([x, dy], a) => maxPoolGrad64(x as RefTensor, dy as RefTensor, a),
  // Windows overlap at most kernel/stride times per axis: each dx is a sum of at most that many,
  // relative to Σ|dy| at the maxima of x itself (|x| could move them).
  tolerance: {
    roundings: (_inputs, a) =>
      Math.ceil(a.kernel[0] / a.stride[0]) * Math.ceil(a.kernel[1] / a.stride[1]) + 1,
    scale: ([x, dy], a) =>
      maxPoolGrad64(
        x as RefTensor,
        { ...(dy as RefTensor), values: (dy as RefTensor).values.map(Math.abs) },
        a,
      ),
  },
  cases: [
    {
      name: '3×3, stride 2, padding 1 (overlapping)',
      inputs: [{ shape: [1, 2, 7, 6] }, { shape: [1, 2, 4, 3] }],
      options: { kernel: 3, stride: 2, padding: 1 },
      gradient: false,
    },
    {
      name: '2×2',
      inputs: [{ shape: [2, 1, 4, 4] }, { shape: [2, 1, 2, 2] }],
      options: { kernel: 2 },
      gradient: false,
    },
  ],
  errors: [],
});

/** The gradient of `maxPool2d(x, attrs)` with respect to x, from dy. */
export function maxPool2dGrad(x: Tensor, dy: Tensor, attrs: Pool2dAttrs): Tensor {
  return MAX_POOL2D_GRAD.run([x, dy], attrs) as Tensor;
}
