/**
 * `x − logsumexp(x)` along the last axis, with row sums that stay accurate on engines whose
 * `tf.sum` is a float32 running sum (`tf.logSoftmax` would sum with `tf.sum`).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TfjsKernel } from './kernel.js';

/**
 * The row maximum is subtracted first so `exp` cannot overflow, and the row sum of `exp` goes
 * through `sum` (blocked where the engine needs it).
 */
export function logSoftmaxRows(
  x: tf.Tensor,
  sum: (x: tf.Tensor, axes: readonly number[]) => tf.Tensor,
): tf.Tensor {
  return tf.tidy(() => {
    const last = x.rank - 1;
    const shifted = tf.sub(x, tf.max(x, last, true));
    // The sum drops the axis; put it back (size 1) so the log broadcasts along each row.
    const logSums = tf.log(tf.expandDims(sum(tf.exp(shifted), [last]), last));
    return tf.sub(shifted, logSums);
  });
}

export const logSoftmax: TfjsKernel = ([x], _attrs, _output, env) =>
  logSoftmaxRows(x as tf.Tensor, env.sum);
