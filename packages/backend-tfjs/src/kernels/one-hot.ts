/**
 * `oneHot`: tfjs's own, made as int32 and cast to float32: the wasm engine's `tf.oneHot` with
 * dtype float32 writes the integer bit patterns (1 reads as 1.4e-45), so the float32 variant is
 * not used on any engine.
 */
import type { OneHotAttrs } from '@illia-ts/core';
import * as tf from '@tensorflow/tfjs-core';
import type { TfjsKernel } from './kernel.js';

export const oneHot: TfjsKernel<OneHotAttrs> = ([labels], { depth }, _output, env) => {
  const l = labels as tf.Tensor;
  // tfjs would give an all-zero row for a label out of range.
  env.checkIndices('oneHot', 'labels', l, depth);
  return tf.cast(tf.oneHot(l, depth, 1, 0, 'int32'), 'float32');
};
