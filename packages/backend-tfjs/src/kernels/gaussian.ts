/**
 * The fused Gaussian kernels: the same ops, in the same order, as core composes from primitives,
 * run inside one `tf.tidy` so that no intermediate outlives the call and no core bookkeeping runs
 * between them.
 */
import type { GaussianPrior, RandomKey } from '@illia-ts/core';
import * as tf from '@tensorflow/tfjs-core';
import { randomNormal } from './random-normal.js';

/** The engine-dependent pieces the fused kernels share with the primitive kernels. */
export interface GaussianKernels {
  softplus(x: tf.Tensor): tf.Tensor;
  sumAll(x: tf.Tensor): tf.Tensor;
}

/** `mu + softplus(rho) ⊙ eps`, eps = `randomNormal(mu.shape, key)`. */
export function gaussianSample(
  k: GaussianKernels,
  mu: tf.Tensor,
  rho: tf.Tensor,
  key: RandomKey,
): tf.Tensor {
  return tf.tidy(() => tf.add(mu, tf.mul(k.softplus(rho), randomNormal(mu.shape, key))));
}

/** `Σ [log std − log σ − ((x − mu)/σ)²/2 + (x − prior.mu)²/(2 std²)]`, σ = softplus(rho). */
export function gaussianLogRatio(
  k: GaussianKernels,
  x: tf.Tensor,
  mu: tf.Tensor,
  rho: tf.Tensor,
  prior: GaussianPrior,
): tf.Tensor {
  return tf.tidy(() => {
    const sigma = k.softplus(rho);
    const logRatio = tf.sub(tf.scalar(Math.log(prior.std)), tf.log(sigma));
    const z = tf.div(tf.sub(x, mu), sigma);
    const posterior = tf.mul(tf.square(z), tf.scalar(0.5));
    const priorTerm = tf.mul(
      tf.squaredDifference(x, tf.scalar(prior.mu)),
      tf.scalar(1 / (2 * prior.std ** 2)),
    );
    const terms = tf.add(tf.sub(logRatio, posterior), priorTerm);
    // A scalar distribution has one term: it is the sum.
    return terms.rank === 0 ? terms : k.sumAll(terms);
  });
}
