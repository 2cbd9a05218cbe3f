import type { Tensor } from '../../tensor.js';
import { defineOp, type RefTensor } from '../define.js';
import { conv2dInputGrad } from './conv2d-input-grad.js';
import { conv2dWeightsGrad } from './conv2d-weights-grad.js';
import {
  type Conv2dAttrs,
  type Conv2dOptions,
  conv2dAttrs,
  conv2dShape,
  convTerms,
  forEachConvTerm,
} from './geometry.js';

export const CONV2D_ERRORS = [
  {
    name: 'channels differ',
    inputs: [{ shape: [1, 3, 5, 5] }, { shape: [2, 2, 3, 3] }],
    throws:
      /conv2d: weights \[2, 2, 3, 3\] takes 2 channels per group, but x \[1, 3, 5, 5\] has 3 channels/,
  },
  {
    name: 'groups do not divide',
    inputs: [{ shape: [1, 4, 5, 5] }, { shape: [3, 2, 3, 3] }],
    options: { groups: 2 },
    throws:
      /conv2d: groups \(2\) must divide the input channels \(4\) and the output channels \(3\)/,
  },
  {
    name: 'kernel larger than input',
    inputs: [{ shape: [1, 1, 2, 2] }, { shape: [1, 1, 3, 3] }],
    throws: /conv2d: the kernel \(3×3, dilation 1×1\) does not fit x \[1, 1, 2, 2\]/,
  },
  {
    name: 'x not 4-D',
    inputs: [{ shape: [1, 5, 5] }, { shape: [1, 1, 3, 3] }],
    throws: /conv2d: x must be 4-D/,
  },
  {
    name: 'stride 0',
    inputs: [{ shape: [1, 1, 5, 5] }, { shape: [1, 1, 3, 3] }],
    options: { stride: 0 },
    throws: /conv2d: stride must be an integer ≥ 1 or a pair of them, got 0/,
  },
  {
    name: 'int32 weights',
    inputs: [{ shape: [1, 1, 3, 3] }, { shape: [1, 1, 1, 1], dtype: 'int32', values: [1] }],
    throws: /conv2d: weights must be a float32 tensor, got int32/,
  },
];

/** conv2d in float64: the reference of the op (and the scale of its error, on |inputs|). */
export function conv2d64(x: RefTensor, w: RefTensor, a: Conv2dAttrs): Float64Array {
  const [n, o, ho, wo] = conv2dShape('conv2d', x.shape, w.shape, a);
  const out = new Float64Array(n * o * ho * wo);
  forEachConvTerm(x.shape, w.shape, a, (xi, wi, yi) => {
    out[yi] = (out[yi] as number) + (x.values[xi] as number) * (w.values[wi] as number);
  });
  return out;
}

const CONV2D = defineOp<Conv2dAttrs>({
  name: 'conv2d',
  family: 'conv',
  summary:
    'cross-correlation of NCHW x with weights [out, in/groups, kh, kw]: stride, padding, dilation, groups',
  inputs: [
    { name: 'x', dtype: 'float32' },
    { name: 'weights', dtype: 'float32' },
  ],
  attrs: (options) => conv2dAttrs('conv2d', options),
  output: ([x, w], a) => ({
    shape: conv2dShape('conv2d', (x as Tensor).shape, (w as Tensor).shape, a),
    dtype: 'float32',
  }),
  gradient: ({ inputs: [x, w], attrs, dy, needs: [needX, needW] }) => [
    needX ? conv2dInputGrad(dy as Tensor, w as Tensor, (x as Tensor).shape, attrs) : null,
    needW ? conv2dWeightsGrad(x as Tensor, dy as Tensor, (w as Tensor).shape, attrs) : null,
  ],
  reference: ([x, w], a) => conv2d64(x as RefTensor, w as RefTensor, a),
  tolerance: {
    roundings: ([x, w], a) => convTerms(x?.shape ?? [], w?.shape ?? [], a),
    scale: 'abs-inputs',
  },
  cases: [
    {
      name: '3×3 on [2, 3, 6, 5] to 4 channels',
      inputs: [{ shape: [2, 3, 6, 5] }, { shape: [4, 3, 3, 3] }],
    },
    {
      name: 'stride 2, padding 1',
      inputs: [{ shape: [2, 2, 7, 6] }, { shape: [3, 2, 3, 3] }],
      options: { stride: 2, padding: 1 },
    },
    {
      name: 'dilation 2, padding [2, 1]',
      inputs: [{ shape: [1, 2, 7, 7] }, { shape: [2, 2, 3, 2] }],
      options: { dilation: 2, padding: [2, 1] },
    },
    {
      name: 'groups 2, stride [1, 2]',
      inputs: [{ shape: [2, 4, 5, 6] }, { shape: [6, 2, 2, 3] }],
      options: { groups: 2, stride: [1, 2] },
    },
    {
      name: 'depthwise (groups = channels)',
      inputs: [{ shape: [1, 3, 5, 5] }, { shape: [3, 1, 3, 3] }],
      options: { groups: 3, padding: 1 },
    },
    { name: '1×1', inputs: [{ shape: [2, 3, 4, 4] }, { shape: [5, 3, 1, 1] }] },
    {
      name: 'stride and dilation 2 together',
      inputs: [{ shape: [1, 2, 9, 9] }, { shape: [2, 2, 3, 3] }],
      options: { stride: 2, dilation: 2, padding: 1 },
    },
  ],
  errors: CONV2D_ERRORS,
});

/**
 * 2-D cross-correlation (PyTorch's `F.conv2d`) of `x` [batch, inChannels, height, width] with
 * `weights` [outChannels, inChannels/groups, kernelHeight, kernelWidth]; `stride`, `padding`
 * (zeros, each side) and `dilation` are a number or a [height, width] pair.
 */
export function conv2d(x: Tensor, weights: Tensor, options: Conv2dOptions = {}): Tensor {
  return CONV2D.run([x, weights], options) as Tensor;
}
