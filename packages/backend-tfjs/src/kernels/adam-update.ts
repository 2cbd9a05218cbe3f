/**
 * `adamUpdate`, fused: one Adam step of one parameter as one tidy of tfjs ops, the same ops in the
 * same order as core's composition (so the same numbers), without core's bookkeeping between them.
 * Inputs `param, grad` (first step: m and v taken as 0) or `param, grad, m, v`; outputs
 * `[param', m', v']`.
 */
import type { AdamHyperparameters } from '@illia-ts/core';
import * as tf from '@tensorflow/tfjs-core';
import type { TfjsKernel } from './kernel.js';

export const adamUpdate: TfjsKernel<AdamHyperparameters> = ([param, grad, m0, v0], h) => {
  const g = grad as tf.Tensor;
  const { beta1, beta2, epsilon, lr, c1, c2 } = h;
  const decayed = tf.mul(g, tf.scalar(1 - beta1));
  const m = m0 ? tf.add(tf.mul(m0, tf.scalar(beta1)), decayed) : decayed;
  const squared = tf.mul(tf.square(g), tf.scalar(1 - beta2));
  const v = v0 ? tf.add(tf.mul(v0, tf.scalar(beta2)), squared) : squared;
  const denominator = tf.add(tf.sqrt(tf.mul(v, tf.scalar(1 / c2))), tf.scalar(epsilon));
  const next = tf.sub(param as tf.Tensor, tf.mul(tf.div(m, denominator), tf.scalar(lr / c1)));
  return [next, m, v];
};
