/**
 * The fused `gaussianSample` kernel (core's optional one): `mu + softplus(rho) ⊙ eps` in one pass
 * per block (`gaussian.ts`), eps the draws `randomNormal` gives for the same key, sigma from the
 * rho tensor's cache.
 */
import type { GaussianSampleAttrs } from '@illia-ts/core';
import { type CpuKernel, floats } from './context.js';

export const gaussianSample: CpuKernel<GaussianSampleAttrs> = (ctx, [mu, rho], { key }) => {
  const muValues = floats(mu!);
  const n = muValues.length;
  const out = ctx.float32(n);
  const cache = ctx.sigmaOf(rho!);
  ctx.runBlocks(
    {
      kind: 'sample',
      out,
      mu: muValues,
      rho: floats(rho!),
      sigma: cache?.sigma ?? null,
      seed: key.seed,
      counter: key.counter,
    },
    n,
  );
  return ctx.wrap(out, mu!.shape);
};
