/** `matMul`: tfjs's own product of 2-D tensors, with its transpose flags. */
import type { MatMulAttrs } from '@illia-ts/core';
import * as tf from '@tensorflow/tfjs-core';
import type { TfjsKernel } from './kernel.js';

export const matMul: TfjsKernel<MatMulAttrs> = ([a, b], { transposeA, transposeB }) =>
  tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, transposeA, transposeB);
