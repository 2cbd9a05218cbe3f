/**
 * `gaussianLogRatio`, fused: `Σ [log std − log σ − ((x − mu)/σ)²/2 + (x − prior.mu)²/(2 std²)]`,
 * σ = softplus(rho), the same ops in the same order as core's composition, in one tidy.
 */
import type { GaussianLogRatioAttrs } from '@illia-ts/core';
import * as tf from '@tensorflow/tfjs-core';
import type { TfjsKernel } from './kernel.js';

export const gaussianLogRatio: TfjsKernel<GaussianLogRatioAttrs> = (
  [x, mu, rho],
  { prior },
  _output,
  env,
) => {
  const xt = x as tf.Tensor;
  const sigma = env.softplus(rho as tf.Tensor);
  const logRatio = tf.sub(tf.scalar(Math.log(prior.std)), tf.log(sigma));
  const z = tf.div(tf.sub(xt, mu as tf.Tensor), sigma);
  const posterior = tf.mul(tf.square(z), tf.scalar(0.5));
  const priorTerm = tf.mul(
    tf.squaredDifference(xt, tf.scalar(prior.mu)),
    tf.scalar(1 / (2 * prior.std ** 2)),
  );
  const terms = tf.add(tf.sub(logRatio, posterior), priorTerm);
  // A scalar distribution has one term: it is the sum.
  return terms.rank === 0
    ? terms
    : env.sum(
        terms,
        terms.shape.map((_, d) => d),
      );
};
