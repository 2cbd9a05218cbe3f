/**
 * Fused Gaussian kernels: the whole computation in the graph of the read that needs it, so ONNX
 * Runtime runs it in one session with no JavaScript in between.
 */
import type { GaussianPrior, RandomKey } from '@illia-ts/core';
import type { LazyOp, ScalarParam } from '../graph/lazy-tensor.js';
import { emitNormalsOfShape, keyParams } from './random-normal.js';
import { emitSum } from './sum.js';

/** `mu + softplus(rho) ⊙ eps`, eps exactly the draws of `randomNormal(mu.shape, key)`. */
export const GAUSSIAN_SAMPLE: LazyOp = {
  signature: 'gaussianSample',
  emit: (g, [mu, rho], [a, b], shape) => {
    const eps = emitNormalsOfShape(g, shape, a as string, b as string);
    const sigma = g.op('Softplus', [rho as string]);
    return g.op('Add', [mu as string, g.op('Mul', [sigma, eps])]);
  },
};

/** The params of {@link GAUSSIAN_SAMPLE}. */
export const gaussianSampleParams = (key: RandomKey): ScalarParam[] => keyParams(key);

/**
 * `Σ log std − log σ − (x−mu)²/(2σ²) + (x−prior.mu)²/(2 std²)`, σ = softplus(rho): terms in
 * float32, summed in float64. The prior enters as params (log std, mu, 1/(2 std²)), so every
 * prior shares the session.
 */
export const GAUSSIAN_LOG_RATIO: LazyOp = {
  signature: 'gaussianLogRatio',
  emit: (g, [x, mu, rho], [logStd, priorMu, priorScale]) => {
    const sigma = g.op('Softplus', [rho as string]);
    const z = g.op('Div', [g.op('Sub', [x as string, mu as string]), sigma]);
    const e = g.op('Sub', [x as string, priorMu as string]);
    const logRatio = g.op('Sub', [logStd as string, g.op('Log', [sigma])]);
    const posterior = g.op('Mul', [g.op('Mul', [z, z]), g.float(0.5)]);
    const prior = g.op('Mul', [g.op('Mul', [e, e]), priorScale as string]);
    const terms = g.op('Add', [g.op('Sub', [logRatio, posterior]), prior]);
    return emitSum(g, terms);
  },
};

/** The params of {@link GAUSSIAN_LOG_RATIO}. */
export function gaussianLogRatioParams(prior: GaussianPrior): ScalarParam[] {
  return [
    { type: 'float32', value: Math.log(prior.std) },
    { type: 'float32', value: prior.mu },
    { type: 'float32', value: 1 / (2 * prior.std * prior.std) },
  ];
}
