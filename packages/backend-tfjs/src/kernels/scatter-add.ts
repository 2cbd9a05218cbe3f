/**
 * `scatterAdd`: tfjs's `scatterND` into zeros of `[rows, ...]`, which adds the updates of repeated
 * indices (tfjs documents the sum; checked on cpu and wasm by this package's tests).
 */
import type { ScatterAddAttrs } from '@illia-ts/core';
import * as tf from '@tensorflow/tfjs-core';
import type { TfjsKernel } from './kernel.js';

export const scatterAdd: TfjsKernel<ScatterAddAttrs> = (
  [updates, indices],
  { rows },
  output,
  env,
) => {
  const u = updates as tf.Tensor;
  const i = indices as tf.Tensor;
  env.checkIndices('scatterAdd', 'indices', i, rows);
  if (i.size === 0) return tf.zeros([...output.shape], 'float32');
  // One index per update row: indices [k, 1], updates [k, ...row].
  const row = u.shape.slice(i.rank);
  return tf.scatterND(tf.reshape(i, [i.size, 1]), tf.reshape(u, [i.size, ...row]), [
    ...output.shape,
  ]);
};
