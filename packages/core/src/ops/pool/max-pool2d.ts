import type { Tensor } from '../../tensor.js';
import { defineOp, type RefTensor } from '../define.js';
import { maxPool2dGrad } from './max-pool2d-grad.js';
import {
  forEachWindow,
  POOL_CASES,
  type Pool2dAttrs,
  type Pool2dOptions,
  pool2dAttrs,
  pool2dShape,
} from './pool-geometry.js';

/** The index in `xis` of the first maximum of `values` (PyTorch's choice among ties). */
export function argmaxOf(values: ArrayLike<number>, xis: readonly number[]): number {
  let best = xis[0] as number;
  for (const xi of xis) if ((values[xi] as number) > (values[best] as number)) best = xi;
  return best;
}

const MAX_POOL2D = defineOp<Pool2dAttrs>({
  name: 'maxPool2d',
  family: 'pool',
  summary: 'the maximum of each window of NCHW x (padding never wins)',
  inputs: [{ name: 'x', dtype: 'float32' }],
  attrs: (options) => pool2dAttrs('maxPool2d', options),
  output: ([x], a) => ({
    shape: pool2dShape('maxPool2d', (x as Tensor).shape, a),
    dtype: 'float32',
  }),
  gradient: ({ inputs: [x], attrs, dy }) => [maxPool2dGrad(x as Tensor, dy as Tensor, attrs)],
  reference: ([x], a) => {
    const r = x as RefTensor;
    const out = new Float64Array(pool2dShape('maxPool2d', r.shape, a).reduce((p, q) => p * q, 1));
    forEachWindow(r.shape, a, (yi, xis) => {
      out[yi] = r.values[argmaxOf(r.values, xis)] as number;
    });
    return out;
  },
  tolerance: { roundings: 0, gradientRoundings: 8, scale: 'output' },
  cases: POOL_CASES,
  errors: [
    {
      name: 'no kernel',
      inputs: [{ shape: [1, 1, 4, 4] }],
      options: {},
      throws: /maxPool2d: kernel must be an integer ≥ 1 or a pair of them, got undefined/,
    },
    {
      name: 'padding over half the kernel',
      inputs: [{ shape: [1, 1, 4, 4] }],
      options: { kernel: 2, padding: 2 },
      throws: /maxPool2d: padding must be at most half the kernel/,
    },
    {
      name: 'x not 4-D',
      inputs: [{ shape: [4, 4] }],
      options: { kernel: 2 },
      throws: /maxPool2d: x must be 4-D/,
    },
  ],
});

/**
 * The maximum over each `kernel` window of `x` [batch, channels, height, width] (PyTorch's
 * `F.max_pool2d`); `stride` defaults to the kernel, `padding` is never the maximum.
 */
export function maxPool2d(x: Tensor, options: Pool2dOptions): Tensor {
  return MAX_POOL2D.run([x], options) as Tensor;
}
