import type { RandomKey } from '../../backend.js';
import type { Tensor } from '../../tensor.js';
import { defineOp } from '../define.js';
import { add } from '../elementwise/add.js';
import { mul } from '../elementwise/mul.js';
import { sigmoid } from '../elementwise/sigmoid.js';
import { softplus } from '../elementwise/softplus.js';
import { randomNormalOn } from '../random/random-normal.js';

/** What a gaussianSample kernel gets: the key of the draws. */
export interface GaussianSampleAttrs {
  readonly key: RandomKey;
}

const GAUSSIAN_SAMPLE = defineOp<GaussianSampleAttrs>({
  name: 'gaussianSample',
  family: 'gaussian',
  summary:
    'mu + softplus(rho) ⊙ eps, eps the draws randomNormal(mu.shape, key) gives; fused where a backend has a kernel',
  inputs: [
    { name: 'mu', dtype: 'float32' },
    { name: 'rho', dtype: 'float32' },
  ],
  attrs: (options) => options as GaussianSampleAttrs,
  output: ([mu]) => ({ shape: (mu as Tensor).shape, dtype: 'float32' }),
  fallback: ([mu, rho], { key }) => {
    const m = mu as Tensor;
    return add(m, mul(softplus(rho as Tensor), randomNormalOn(m.backend, m.shape, key)));
  },
  // d/dmu = dy; d/drho = dy · eps · sigmoid(rho), with eps drawn again from the same key.
  gradient: ({ inputs: [mu, rho], attrs: { key }, dy }) => {
    const m = mu as Tensor;
    const eps = randomNormalOn(m.backend, m.shape, key);
    return [dy, mul(mul(dy as Tensor, eps), sigmoid(rho as Tensor))];
  },
});

/** `mu + softplus(rho) ⊙ N(0, 1)` with the draws of `key`. */
export function gaussianSample(mu: Tensor, rho: Tensor, key: RandomKey): Tensor {
  return GAUSSIAN_SAMPLE.run([mu, rho], { key }) as Tensor;
}
