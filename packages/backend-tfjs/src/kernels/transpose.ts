/** `transpose`: tfjs's own, with the permutation. */
import type { TransposeAttrs } from '@illia-ts/core';
import * as tf from '@tensorflow/tfjs-core';
import type { TfjsKernel } from './kernel.js';

export const transpose: TfjsKernel<TransposeAttrs> = ([x], { perm }) =>
  tf.transpose(x as tf.Tensor, [...perm]);
