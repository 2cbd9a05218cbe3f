/**
 * The fused `gaussianLogRatioGrad` kernel (core's optional one): dx, dMu and dRho in one pass per
 * block (`gaussian.ts`), σ from the rho tensor's cache, where core composes about twenty
 * elementwise passes.
 */
import type { GaussianLogRatioAttrs } from '@illia-ts/core';
import { type CpuKernel, floats } from './context.js';

export const gaussianLogRatioGrad: CpuKernel<GaussianLogRatioAttrs> = (
  ctx,
  [x, mu, rho, dy],
  { prior },
) => {
  const xValues = floats(x!);
  const n = xValues.length;
  const cache = ctx.sigmaOf(rho!);
  const [dx, dMu, dRho] = [ctx.float32(n), ctx.float32(n), ctx.float32(n)];
  ctx.runBlocks(
    {
      kind: 'logRatioGrad',
      x: xValues,
      mu: floats(mu!),
      rho: floats(rho!),
      sigma: cache?.sigma ?? null,
      g: floats(dy!)[0] as number,
      priorMu: prior.mu,
      priorStd: prior.std,
      dx,
      dMu,
      dRho,
    },
    n,
  );
  return [ctx.wrap(dx, x!.shape), ctx.wrap(dMu, x!.shape), ctx.wrap(dRho, x!.shape)];
};
