/**
 * `conv2dInputGrad`: tfjs's `conv2dTranspose` (its `Conv2DBackpropInput` kernel, NHWC), one per
 * group. That kernel takes no dilation, so a dilated filter is written out with zero taps.
 */
import type { Conv2dInputGradAttrs } from '@illia-ts/core';
import * as tf from '@tensorflow/tfjs-core';
import {
  dilateFilter,
  explicitPadding,
  joinGroups,
  splitGroups,
  toFilter,
  toNCHW,
  toNHWC,
} from './conv-layout.js';
import type { TfjsKernel } from './kernel.js';

export const conv2dInputGrad: TfjsKernel<Conv2dInputGradAttrs> = ([dy, weights], a) => {
  const [n, c, h, w] = a.inputShape;
  const filter = dilateFilter(toFilter(weights as tf.Tensor4D), a.dilation);
  const pad = explicitPadding(a.padding);
  const stride: [number, number] = [a.stride[0], a.stride[1]];
  const grads = splitGroups(toNHWC(dy as tf.Tensor4D), a.groups, 3);
  const filters = splitGroups(filter, a.groups, 3);
  const parts = grads.map((part, g) =>
    tf.conv2dTranspose(part, filters[g] as tf.Tensor4D, [n, h, w, c / a.groups], stride, pad),
  );
  return toNCHW(joinGroups(parts, 3));
};
