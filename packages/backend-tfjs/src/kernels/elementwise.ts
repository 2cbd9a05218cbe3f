/**
 * Elementwise kernels that some engines get wrong, composed from ops they get right. Each is used
 * only where the engine's own kernel failed its probe (see `engine-traits.ts`).
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * `log(1 + x)` accurate for tiny x on engines whose log1p is `log(1 + x)`: with `u = 1 + x`
 * rounded, `log(u) · x / (u − 1)` cancels the rounding of `u` (Goldberg 1991, theorem 4).
 * `u = 1` means x is below rounding (log1p(x) = x); `u = x` means 1 is (log1p(x) = log(x)), which
 * also keeps ±∞ from becoming ∞/∞.
 */
export function compensatedLog1p(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const u = tf.add(x, 1);
    const logU = tf.log(u);
    const scaled = tf.mul(logU, tf.div(x, tf.sub(u, 1)));
    return tf.where(tf.equal(u, x), logU, tf.where(tf.equal(u, 1), x, scaled));
  });
}

/** `max(x, 0) + log1p(exp(−|x|))`, finite for every finite x. */
export function stableSoftplus(x: tf.Tensor, log1p: (y: tf.Tensor) => tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.add(tf.relu(x), log1p(tf.exp(tf.neg(tf.abs(x))))));
}

/** Broadcasting maximum that returns NaN where either argument is NaN (NumPy's `maximum`). */
export function nanMaximum(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return tf.tidy(() =>
    // a + b is NaN exactly where one of them is, and has the broadcast shape.
    tf.where(tf.logicalOr(tf.isNaN(a), tf.isNaN(b)), tf.add(a, b), tf.maximum(a, b)),
  );
}
