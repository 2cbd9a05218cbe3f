/**
 * `gaussianSample`, fused: `mu + softplus(rho) ⊙ eps` with eps the draws `randomNormal` gives for
 * the same key, the same ops in the same order as core's composition, in one tidy.
 */
import type { GaussianSampleAttrs } from '@illia-ts/core';
import * as tf from '@tensorflow/tfjs-core';
import type { TfjsKernel } from './kernel.js';
import { normalDraws } from './random-normal.js';

export const gaussianSample: TfjsKernel<GaussianSampleAttrs> = ([mu, rho], { key }, _o, env) => {
  const m = mu as tf.Tensor;
  return tf.add(m, tf.mul(env.softplus(rho as tf.Tensor), normalDraws(m.shape, key)));
};
