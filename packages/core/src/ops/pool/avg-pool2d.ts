import type { Tensor } from '../../tensor.js';
import { conv2d } from '../conv/conv2d.js';
import { conv2dInputGrad } from '../conv/conv2d-input-grad.js';
import type { Conv2dAttrs } from '../conv/geometry.js';
import { defineOp, filledOn, type RefTensor } from '../define.js';
import { reshape } from '../shape/reshape.js';
import {
  forEachWindow,
  POOL_CASES,
  type Pool2dAttrs,
  type Pool2dOptions,
  pool2dAttrs,
  pool2dShape,
} from './pool-geometry.js';

/** The pool as a convolution of each plane with a kernel of 1/(kh·kw). */
function asConv(a: Pool2dAttrs): Conv2dAttrs {
  return { stride: a.stride, padding: a.padding, dilation: [1, 1], groups: 1 };
}

function averagingKernel(x: Tensor, a: Pool2dAttrs): Tensor {
  return filledOn(x.backend, [1, 1, a.kernel[0], a.kernel[1]], 1 / (a.kernel[0] * a.kernel[1]));
}

const AVG_POOL2D = defineOp<Pool2dAttrs>({
  name: 'avgPool2d',
  family: 'pool',
  summary:
    'the mean of each window of NCHW x, padding counted (PyTorch’s count_include_pad); composed from conv2d where a backend has no kernel',
  inputs: [{ name: 'x', dtype: 'float32' }],
  attrs: (options) => pool2dAttrs('avgPool2d', options),
  output: ([x], a) => ({
    shape: pool2dShape('avgPool2d', (x as Tensor).shape, a),
    dtype: 'float32',
  }),
  fallback: ([x], a) => {
    const t = x as Tensor;
    const [n, c, h, w] = t.shape as [number, number, number, number];
    const y = conv2d(reshape(t, [n * c, 1, h, w]), averagingKernel(t, a), asConv(a));
    return reshape(y, [n, c, y.shape[2] as number, y.shape[3] as number]);
  },
  gradient: ({ inputs: [x], attrs, dy }) => {
    const t = x as Tensor;
    const d = dy as Tensor;
    const [n, c, h, w] = t.shape as [number, number, number, number];
    const planes = reshape(d, [n * c, 1, d.shape[2] as number, d.shape[3] as number]);
    const dx = conv2dInputGrad(planes, averagingKernel(t, attrs), [n * c, 1, h, w], asConv(attrs));
    return [reshape(dx, t.shape)];
  },
  reference: ([x], a) => {
    const r = x as RefTensor;
    const out = new Float64Array(pool2dShape('avgPool2d', r.shape, a).reduce((p, q) => p * q, 1));
    const area = a.kernel[0] * a.kernel[1];
    forEachWindow(r.shape, a, (yi, xis) => {
      let s = 0;
      for (const xi of xis) s += r.values[xi] as number;
      out[yi] = s / area;
    });
    return out;
  },
  tolerance: { roundings: (_inputs, a) => a.kernel[0] * a.kernel[1] + 2, scale: 'abs-inputs' },
  cases: POOL_CASES,
  errors: [
    {
      name: 'x not 4-D',
      inputs: [{ shape: [4, 4] }],
      options: { kernel: 2 },
      throws: /avgPool2d: x must be 4-D/,
    },
  ],
});

/**
 * The mean over each `kernel` window of `x` [batch, channels, height, width] (PyTorch's
 * `F.avg_pool2d`: zero padding counts in the mean); `stride` defaults to the kernel.
 */
export function avgPool2d(x: Tensor, options: Pool2dOptions): Tensor {
  return AVG_POOL2D.run([x], options) as Tensor;
}
