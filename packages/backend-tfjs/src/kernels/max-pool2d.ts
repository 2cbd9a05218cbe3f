/** `maxPool2d`: tfjs's `maxPool` over planes padded with −∞, so padding never wins. */
import type { Pool2dAttrs } from '@illia-ts/core';
import * as tf from '@tensorflow/tfjs-core';
import type { TfjsKernel } from './kernel.js';
import { fromPlanes, paddedPlanes, poolWindow } from './pool-planes.js';

export const maxPool2d: TfjsKernel<Pool2dAttrs> = ([x], a, output) => {
  const { size, stride } = poolWindow(a);
  const planes = paddedPlanes(x as tf.Tensor, a, Number.NEGATIVE_INFINITY);
  return fromPlanes(tf.maxPool(planes, size, stride, 'valid'), output.shape);
};
