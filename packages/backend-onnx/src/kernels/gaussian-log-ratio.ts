/**
 * `Σ log std − log σ − ((x−mu)/σ)²/2 + ((x−prior.mu)/std)²/2`, σ = softplus(rho): the ops of
 * core's composition in its order (so the same numbers), terms in float32, summed in float64, in
 * the graph of the read that needs it. Scale-free as core's: log σ from rho directly (finite for
 * every finite rho), and the prior's term from `(x − prior.mu)/std`, so a tiny or huge prior
 * overflows only where the true value does. The prior enters as params (log std, mu, 1/std), so
 * every prior shares the session.
 */
import type { GaussianLogRatioAttrs, GaussianPrior } from '@illia-ts/core';
import type { LazyOp, ScalarParam } from '../graph/lazy-tensor.js';
import type { OnnxKernel } from './kernel.js';
import { emitLogSoftplus } from './log-softplus.js';
import { emitSum } from './sum.js';

/** The op, without its params ({@link gaussianLogRatioParams}). */
export const GAUSSIAN_LOG_RATIO: LazyOp = {
  signature: 'gaussianLogRatio',
  emit: (g, [x, mu, rho], [logStd, priorMu, inverseStd]) => {
    const sigma = g.op('Softplus', [rho as string]);
    const logRatio = g.op('Sub', [logStd as string, emitLogSoftplus(g, rho as string)]);
    const z = g.op('Div', [g.op('Sub', [x as string, mu as string]), sigma]);
    const posterior = g.op('Mul', [g.op('Mul', [z, z]), g.float(0.5)]);
    const zPrior = g.op('Mul', [
      g.op('Sub', [x as string, priorMu as string]),
      inverseStd as string,
    ]);
    const prior = g.op('Mul', [g.op('Mul', [zPrior, zPrior]), g.float(0.5)]);
    const terms = g.op('Add', [g.op('Sub', [logRatio, posterior]), prior]);
    return emitSum(g, terms);
  },
};

/** The params of {@link GAUSSIAN_LOG_RATIO}. */
export function gaussianLogRatioParams(prior: GaussianPrior): ScalarParam[] {
  return [
    { type: 'float32', value: Math.log(prior.std) },
    { type: 'float32', value: prior.mu },
    { type: 'float32', value: 1 / prior.std },
  ];
}

export const gaussianLogRatio: OnnxKernel<GaussianLogRatioAttrs> = (_inputs, { prior }) => ({
  ...GAUSSIAN_LOG_RATIO,
  params: gaussianLogRatioParams(prior),
});
