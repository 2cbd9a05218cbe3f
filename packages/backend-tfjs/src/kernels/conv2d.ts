/**
 * `conv2d`: tfjs's `conv2d` (NHWC) per group, or its `depthwiseConv2d` when every group is one
 * input channel. tfjs takes no `groups`, and refuses stride and dilation both above 1: there the
 * dilation is written into the filter as zero taps (`dilateFilter`).
 */
import type { Conv2dAttrs } from '@illia-ts/core';
import * as tf from '@tensorflow/tfjs-core';
import {
  above1,
  dilateFilter,
  explicitPadding,
  joinGroups,
  splitGroups,
  toFilter,
  toNCHW,
  toNHWC,
} from './conv-layout.js';
import type { TfjsKernel } from './kernel.js';

export const conv2d: TfjsKernel<Conv2dAttrs> = ([x, weights], a) => {
  const xt = x as tf.Tensor4D;
  const channels = xt.shape[1];
  let filter = toFilter(weights as tf.Tensor4D);
  let dilation = a.dilation;
  if (above1(a.stride) && above1(dilation)) {
    filter = dilateFilter(filter, dilation);
    dilation = [1, 1];
  }
  const input = toNHWC(xt);
  const pad = explicitPadding(a.padding);
  const stride: [number, number] = [a.stride[0], a.stride[1]];
  const dilations: [number, number] = [dilation[0], dilation[1]];
  if (a.groups > 1 && a.groups === channels) {
    // Depthwise: filter [kh, kw, 1, C·m] is [kh, kw, C, m] for tfjs (output channel c·m + k).
    const [kh, kw, , out] = filter.shape;
    const depthwise = tf.reshape(filter, [kh, kw, channels, out / channels]) as tf.Tensor4D;
    return toNCHW(tf.depthwiseConv2d(input, depthwise, stride, pad, 'NHWC', dilations));
  }
  const inputs = splitGroups(input, a.groups, 3);
  const filters = splitGroups(filter, a.groups, 3);
  const parts = inputs.map((part, g) =>
    tf.conv2d(part, filters[g] as tf.Tensor4D, stride, pad, 'NHWC', dilations),
  );
  return toNCHW(joinGroups(parts, 3));
};
