/**
 * `mu + softplus(rho) ⊙ eps`, eps exactly the draws of `randomNormal(mu.shape, key)`: the whole
 * computation in the graph of the read that needs it, the same ONNX ops as the composed path.
 */
import type { GaussianSampleAttrs, RandomKey } from '@illia-ts/core';
import type { LazyOp, ScalarParam } from '../graph/lazy-tensor.js';
import { emitSoftplusOf } from './elementwise.js';
import type { OnnxKernel } from './kernel.js';
import { emitNormalsOfShape, keyParams } from './random-normal.js';

/** The op, without its params ({@link gaussianSampleParams}). */
export const GAUSSIAN_SAMPLE: LazyOp = {
  signature: 'gaussianSample',
  emit: (g, [mu, rho], [a, b], shape) => {
    const eps = emitNormalsOfShape(g, shape, a as string, b as string);
    const sigma = emitSoftplusOf(g, rho as string);
    return g.op('Add', [mu as string, g.op('Mul', [sigma, eps])]);
  },
};

/** The params of {@link GAUSSIAN_SAMPLE}: the key's two words. */
export const gaussianSampleParams = (key: RandomKey): ScalarParam[] => keyParams(key);

export const gaussianSample: OnnxKernel<GaussianSampleAttrs> = (_inputs, { key }) => ({
  ...GAUSSIAN_SAMPLE,
  params: gaussianSampleParams(key),
});
