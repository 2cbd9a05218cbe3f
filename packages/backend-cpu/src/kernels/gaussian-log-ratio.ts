/**
 * The fused `gaussianLogRatio` kernel (core's optional one): one pass per block (`gaussian.ts`),
 * block totals added in block order, so the scalar is bitwise the same for every thread count.
 */
import type { GaussianLogRatioAttrs } from '@illia-ts/core';
import { type CpuKernel, floats } from './context.js';

export const gaussianLogRatio: CpuKernel<GaussianLogRatioAttrs> = (
  ctx,
  [x, mu, rho],
  { prior },
) => {
  const xValues = floats(x!);
  const n = xValues.length;
  const cache = ctx.sigmaOf(rho!);
  const total = ctx.runBlocks(
    {
      kind: 'logRatio',
      x: xValues,
      mu: floats(mu!),
      rho: floats(rho!),
      sigma: cache?.sigma ?? null,
      logSums: cache?.logSums ?? null,
      priorMu: prior.mu,
      priorStd: prior.std,
      partials: null,
    },
    n,
  );
  return ctx.wrap(Float32Array.of(n * Math.log(prior.std) + total), []);
};
