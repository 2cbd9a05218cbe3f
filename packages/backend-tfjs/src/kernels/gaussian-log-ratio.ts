/**
 * `gaussianLogRatio`, fused: `Σ [log std − log σ − z²/2 + ((x − prior.mu)/std)²/2]`,
 * σ = softplus(rho), in one tidy. Scale-free as core's composition: log σ from rho directly
 * (`logSoftplus`, finite for every finite rho), `z = (x − mu)·s·s` with `s = σ^(−1/2)` from
 * log σ (capped at the largest float32), so σ's underflow below rho ≈ −104 never meets a
 * division (0/0 was NaN at rho −110 with x = mu), and the prior's term from `(x − prior.mu)/std`,
 * so a prior std of 1e30 or 1e−30 overflows only where the true value does.
 */
import type { GaussianLogRatioAttrs } from '@illia-ts/core';
import * as tf from '@tensorflow/tfjs-core';
import type { TfjsKernel } from './kernel.js';
import { logSoftplusOf } from './log-softplus.js';

/** The largest finite float32. */
const FLOAT32_MAX = 3.4028234663852886e38;

export const gaussianLogRatio: TfjsKernel<GaussianLogRatioAttrs> = (
  [x, mu, rho],
  { prior },
  _output,
  env,
) => {
  const xt = x as tf.Tensor;
  const logSigma = logSoftplusOf(rho as tf.Tensor, env);
  // exp(−log σ / 2) overflows below rho ≈ −177: capped, z stays 0 where x = mu.
  const s = tf.minimum(tf.exp(tf.mul(logSigma, -0.5)), tf.scalar(FLOAT32_MAX));
  const logRatio = tf.sub(tf.scalar(Math.log(prior.std)), logSigma);
  const z = tf.mul(tf.mul(tf.sub(xt, mu as tf.Tensor), s), s);
  const posterior = tf.mul(tf.square(z), 0.5);
  // A division, not a multiplication by 1/std: 1/std is subnormal for std above 8.5e37.
  const zPrior = tf.div(tf.sub(xt, tf.scalar(prior.mu)), tf.scalar(prior.std));
  const priorTerm = tf.mul(tf.square(zPrior), 0.5);
  const terms = tf.add(tf.sub(logRatio, posterior), priorTerm);
  // A scalar distribution has one term: it is the sum.
  return terms.rank === 0
    ? terms
    : env.sum(
        terms,
        terms.shape.map((_, d) => d),
      );
};
