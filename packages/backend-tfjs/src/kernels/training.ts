/**
 * Kernels that training needs and tfjs does not give in the form core's contract asks for:
 * comparisons as float32 1/0 (tfjs returns bool tensors) and a log-softmax whose row sums stay
 * accurate on engines that sum sequentially in float32. matMul, transpose, reshape and the
 * activations are tfjs's own ops, called directly from the backend class.
 */
import * as tf from '@tensorflow/tfjs-core';
import { sumAxes } from './sum.js';

/**
 * `a > b` (or `a < b`) as float32 1 or 0, broadcasting. Core multiplies these masks into float32
 * gradients, so a bool tensor would make tfjs upcast (or refuse) later; the bool intermediate is
 * freed here.
 */
export function compare(
  a: tf.Tensor,
  b: tf.Tensor,
  comparison: (p: tf.Tensor, q: tf.Tensor) => tf.Tensor,
): tf.Tensor {
  return tf.tidy(() => tf.cast(comparison(a, b), 'float32'));
}

/**
 * `x − logsumexp(x)` along the last axis: the row maximum is subtracted first so `exp` cannot
 * overflow, and the row sum of `exp` goes through {@link sumAxes}, so long rows stay accurate on
 * engines whose `tf.sum` is a float32 running sum. (`tf.logSoftmax` would sum with `tf.sum`.)
 */
export function logSoftmax(x: tf.Tensor, accurateSum: boolean): tf.Tensor {
  return tf.tidy(() => {
    const last = x.rank - 1;
    const shifted = tf.sub(x, tf.max(x, last, true));
    const rowSums = sumAxes(tf.exp(shifted), [last], accurateSum);
    // sumAxes drops the axis; put it back (size 1) so the log broadcasts along each row.
    const logSums = tf.log(tf.expandDims(rowSums, last));
    return tf.sub(shifted, logSums);
  });
}
