/**
 * `Σ log std − log σ − z²/2 + ((x − prior.mu)/std)²/2`, σ = softplus(rho), z = (x − mu)/σ: the ONNX
 * ops of core's composition in its order (so the same numbers), terms in float32, summed in
 * float64, in the graph of the read that needs it. Scale-free as core's: log σ from rho directly
 * (`logSoftplus`, finite for every finite rho); z as `(x − mu)·s·s` with `s = σ^(−1/2) =
 * exp(−log σ / 2)` capped at the largest float32, so z does not go through σ, which is 0 in
 * float32 below rho ≈ −104 (z is then 0 where x = mu, ±Infinity elsewhere, as the true value
 * overflows); and the prior's term from `(x − prior.mu)/std`, so a tiny or huge prior overflows
 * only where the true value does. The prior enters as params (log std, mu, 1/std), so every
 * prior shares the session.
 */
import { broadcastShapes, type GaussianLogRatioAttrs, type GaussianPrior } from '@illia-ts/core';
import type { GraphBuilder } from '../graph/graph-builder.js';
import type { LazyOp, ScalarParam } from '../graph/lazy-tensor.js';
import { emitExpOf } from './elementwise.js';
import type { OnnxKernel } from './kernel.js';
import { emitLogSoftplus } from './log-softplus.js';
import { emitSum } from './sum.js';

/** The largest finite float32. */
const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * `min(exp(logSigma · −0.5), FLOAT32_MAX)` as core writes it: `−max(−s, −FLOAT32_MAX)`, its two
 * numbers taken as inputs (params), as core's scalar operands are: then core's gradient, which
 * computes s and z again, gives the same nodes, and a graph computes them once.
 */
function emitInverseRootSigma(
  g: GraphBuilder,
  logSigma: string,
  minusHalf: string,
  minusMax: string,
): string {
  const s = emitExpOf(g, g.op('Mul', [logSigma, minusHalf]));
  return g.op('Neg', [g.op('Max', [g.op('Neg', [s]), minusMax])]);
}

/** The op, without its params ({@link gaussianLogRatioParams}). */
export const GAUSSIAN_LOG_RATIO: LazyOp = gaussianLogRatioOp();

/** The op; with x's shape, its sum takes the portable form on a GPU provider (see sum.ts). */
function gaussianLogRatioOp(shape?: readonly number[]): LazyOp {
  return {
    signature: 'gaussianLogRatio',
    emit: (g, [x, mu, rho], [logStd, priorMu, inverseStd, minusHalf, minusMax]) => {
      const logSigma = emitLogSoftplus(g, rho as string);
      const s = emitInverseRootSigma(g, logSigma, minusHalf as string, minusMax as string);
      const logRatio = g.op('Sub', [logStd as string, logSigma]);
      const z = g.op('Mul', [g.op('Mul', [g.op('Sub', [x as string, mu as string]), s]), s]);
      const posterior = g.op('Mul', [g.op('Mul', [z, z]), g.float(0.5)]);
      const zPrior = g.op('Mul', [
        g.op('Sub', [x as string, priorMu as string]),
        inverseStd as string,
      ]);
      const prior = g.op('Mul', [g.op('Mul', [zPrior, zPrior]), g.float(0.5)]);
      const terms = g.op('Add', [g.op('Sub', [logRatio, posterior]), prior]);
      return emitSum(g, terms, undefined, shape);
    },
  };
}

/** The params of {@link GAUSSIAN_LOG_RATIO}: the prior's, then inverseRootSigma's numbers. */
export function gaussianLogRatioParams(prior: GaussianPrior): ScalarParam[] {
  return [
    { type: 'float32', value: Math.log(prior.std) },
    { type: 'float32', value: prior.mu },
    { type: 'float32', value: 1 / prior.std },
    { type: 'float32', value: -0.5 },
    { type: 'float32', value: -FLOAT32_MAX },
  ];
}

export const gaussianLogRatio: OnnxKernel<GaussianLogRatioAttrs> = (inputs, { prior }) => ({
  // The terms' shape: x, mu and rho broadcast together, as core's composition does.
  ...gaussianLogRatioOp(
    inputs.reduce<readonly number[] | undefined>(
      (shape, t) =>
        shape === undefined ? undefined : (broadcastShapes(shape, t.shape) ?? undefined),
      [],
    ),
  ),
  params: gaussianLogRatioParams(prior),
});
