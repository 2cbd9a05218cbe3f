/** `gather`: tfjs's own, rows of the table (axis 0) picked by int32 indices of any shape. */
import * as tf from '@tensorflow/tfjs-core';
import type { TfjsKernel } from './kernel.js';

export const gather: TfjsKernel = ([table, indices], _attrs, _output, env) => {
  const t = table as tf.Tensor;
  const i = indices as tf.Tensor;
  // tfjs checks too (cpu, wasm), but with a plain Error that names tfjs's kernel, not the op.
  env.checkIndices('gather', 'indices', i, t.shape[0] as number);
  return tf.gather(t, i, 0);
};
