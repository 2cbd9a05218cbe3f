/**
 * `conv2dWeightsGrad`, one tfjs call per group: the engine's `Conv2DBackpropFilter` kernel where it
 * has one (cpu, tensorflow, webgl), else (wasm) the same sums written as a forward `conv2d` with
 * the roles swapped. Neither takes dilation with stride, so a dilated filter's gradient is taken
 * for its zero-tapped form (`dilateFilter`) and its taps picked out.
 */
import type { Conv2dWeightsGradAttrs, Pair } from '@illia-ts/core';
import * as tf from '@tensorflow/tfjs-core';
import {
  above1,
  dilateFilter,
  explicitPadding,
  fromFilter,
  joinGroups,
  splitGroups,
  toNHWC,
  undilateFilter,
} from './conv-layout.js';
import type { TfjsKernel } from './kernel.js';

/** One group's gradient by the engine's `Conv2DBackpropFilter`: filter `[kh, kw, cg, og]`. */
function byBackpropKernel(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  a: Conv2dWeightsGradAttrs,
  [kh, kw]: Pair,
): tf.Tensor4D {
  const [dh, dw] = a.dilation;
  const filterShape = [(kh - 1) * dh + 1, (kw - 1) * dw + 1, x.shape[1], dy.shape[1]];
  const grad = tf.engine().runKernel(tf.Conv2DBackpropFilter, { x: toNHWC(x), dy: toNHWC(dy) }, {
    strides: [...a.stride],
    pad: explicitPadding(a.padding),
    dataFormat: 'NHWC',
    filterShape,
  } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  return undilateFilter(grad, a.dilation);
}

/**
 * One group's gradient as a forward convolution: `dW[o, c, p, q] = Σ x[n, c, i·s + p·d, j·s +
 * q·d] · dy[n, o, i, j]` (x padded) is x as `[c, h, w, n]` (channels as the batch) correlated with
 * dy as a filter `[ho, wo, n, o]`, at stride d and dilation s; the first kh × kw outputs are the
 * gradient. Returns the filter `[kh, kw, cg, og]`.
 */
export function weightsGradByConv(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  a: Conv2dWeightsGradAttrs,
  [kh, kw]: Pair,
): tf.Tensor4D {
  const planes = tf.transpose(x, [1, 2, 3, 0]);
  let filter = tf.transpose(dy, [2, 3, 0, 1]);
  let dilation: [number, number] = [a.stride[0], a.stride[1]];
  if (above1(a.dilation) && above1(dilation)) {
    filter = dilateFilter(filter, dilation);
    dilation = [1, 1];
  }
  const y = tf.conv2d(
    planes,
    filter,
    [a.dilation[0], a.dilation[1]],
    explicitPadding(a.padding),
    'NHWC',
    dilation,
  );
  const [cg, , , og] = y.shape;
  return tf.transpose(tf.slice(y, [0, 0, 0, 0], [cg, kh, kw, og]), [1, 2, 0, 3]);
}

export const conv2dWeightsGrad: TfjsKernel<Conv2dWeightsGradAttrs> = ([x, dy], a, _output, env) => {
  const kernel: Pair = [a.weightsShape[2], a.weightsShape[3]];
  const perGroup = env.traits.conv2dFilterGradKernel ? byBackpropKernel : weightsGradByConv;
  const xs = splitGroups(x as tf.Tensor4D, a.groups, 1);
  const dys = splitGroups(dy as tf.Tensor4D, a.groups, 1);
  const parts = xs.map((part, g) => perGroup(part, dys[g] as tf.Tensor4D, a, kernel));
  // Per group [kh, kw, cg, og]; the groups' output channels follow each other.
  return fromFilter(joinGroups(parts, 3));
};
