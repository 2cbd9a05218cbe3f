/**
 * `avgPool2d`: tfjs's `avgPool` over planes padded with zeros. tfjs divides each window's sum by
 * the number of unpadded positions it covers; with the padding written into the planes every
 * window is unpadded to tfjs, so the divisor is always kh·kw: the padding counts in the mean
 * (PyTorch's count_include_pad), as core defines the op.
 */
import type { Pool2dAttrs } from '@illia-ts/core';
import * as tf from '@tensorflow/tfjs-core';
import type { TfjsKernel } from './kernel.js';
import { fromPlanes, paddedPlanes, poolWindow } from './pool-planes.js';

export const avgPool2d: TfjsKernel<Pool2dAttrs> = ([x], a, output) => {
  const { size, stride } = poolWindow(a);
  return fromPlanes(
    tf.avgPool(paddedPlanes(x as tf.Tensor, a, 0), size, stride, 'valid'),
    output.shape,
  );
};
