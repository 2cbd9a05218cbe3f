/**
 * `logSoftplus`: `log(softplus(x))`, log σ from rho, finite for every finite x. Below −17 it is x
 * itself (`log softplus(x) = x + log1p(−eˣ/2 + …)`, and eˣ/2 < 2^-25 there); above, the log of
 * softplus of x clamped at −17, so no log sees softplus underflow to 0 (below −104) and no engine
 * sees a subnormal. Core's composition, with a select for its blend (the same values, and +∞ at
 * x = +∞ where the blend's 0 · ∞ is NaN).
 */
import * as tf from '@tensorflow/tfjs-core';
import { nanMaximum } from './elementwise.js';
import type { KernelEnv, TfjsKernel } from './kernel.js';

/** Where the form switches (core's `LINEAR_BELOW`). */
const LINEAR_BELOW = -17;

/** `log(softplus(x))` on the engine of `env`. */
export function logSoftplusOf(x: tf.Tensor, env: KernelEnv): tf.Tensor {
  return tf.tidy(() => {
    const floor = tf.scalar(LINEAR_BELOW);
    const clamped = env.traits.maximumPropagatesNaN ? tf.maximum(x, floor) : nanMaximum(x, floor);
    const logSigma = tf.log(env.softplus(clamped));
    // NaN fails the comparison and takes the second branch, which keeps it NaN.
    return tf.where(tf.less(x, LINEAR_BELOW), x, logSigma);
  });
}

export const logSoftplus: TfjsKernel = ([x], _attrs, _output, env) =>
  logSoftplusOf(x as tf.Tensor, env);
