import type { Tensor } from '../../tensor.js';
import { defineOp, type RefTensor } from '../define.js';
import { add } from './add.js';
import { div } from './div.js';
import { less } from './less.js';
import { log } from './log.js';
import { maximum } from './maximum.js';
import { mul } from './mul.js';
import { sigmoid } from './sigmoid.js';
import { softplus, softplus64 } from './softplus.js';
import { sub } from './sub.js';

/**
 * Below this, `log softplus(x) = x + log1p(−eˣ/2 + …)` is x to float32 precision (eˣ/2 < 2^-25),
 * while softplus(x) itself heads for underflow (it is 0 in float32 below −103.97).
 */
const LINEAR_BELOW = -17;

/** `log(softplus(x))` in float64, finite for every finite x. */
export function logSoftplus64(x: number): number {
  return x < -30 ? x + Math.log1p(-Math.exp(x) / 2) : Math.log(softplus64(x));
}

/**
 * `d/dx log softplus(x) = sigmoid(x) / softplus(x)`: 1 below {@link LINEAR_BELOW} (to float32
 * precision), so neither underflowing factor is ever divided.
 */
export function logSoftplusGrad(x: Tensor): Tensor {
  const linear = less(x, LINEAR_BELOW);
  const clamped = maximum(x, LINEAR_BELOW);
  return add(linear, mul(sub(1, linear), div(sigmoid(clamped), softplus(clamped))));
}

const LOG_SOFTPLUS = defineOp({
  name: 'logSoftplus',
  family: 'elementwise',
  summary:
    'log(softplus(x)) = log σ from rho, finite for every finite x; composed where a backend has no kernel',
  inputs: [{ name: 'x', dtype: 'float32' }],
  output: ([x]) => ({ shape: (x as Tensor).shape, dtype: 'float32' }),
  // x itself below −17, else log(softplus(x)) of x clamped there, so no log sees an underflow.
  fallback: ([x]) => {
    const t = x as Tensor;
    const linear = less(t, LINEAR_BELOW);
    return add(mul(linear, t), mul(sub(1, linear), log(softplus(maximum(t, LINEAR_BELOW)))));
  },
  gradient: ({ inputs: [x], dy }) => [mul(dy as Tensor, logSoftplusGrad(x as Tensor))],
  reference: ([x]) => (x as RefTensor).values.map(logSoftplus64),
  tolerance: {
    // softplus and log (8 each) and the blend (2): an absolute error of 18ε where |y| < 1
    // (log of a relative error is absolute), relative above.
    roundings: 18,
    gradientRoundings: 32,
    scale: ([x]) => (x as RefTensor).values.map((v) => Math.max(1, Math.abs(logSoftplus64(v)))),
  },
  cases: [
    {
      name: 'values and tails',
      inputs: [
        { shape: [12], values: [-1e4, -200, -110, -90, -20, -1, 0, 0.5413, 1, 20, 80, 1e30] },
      ],
      gradient: false,
    },
    { name: 'gradient', inputs: [{ shape: [2, 3] }] },
    {
      name: 'gradient in the linear tail and at the switch',
      inputs: [{ shape: [4], values: [-110, -40, -16.5, -3] }],
    },
  ],
  errors: [
    {
      name: 'x int32',
      inputs: [{ shape: [1], dtype: 'int32', values: [1] }],
      throws: /logSoftplus: x must be a float32 tensor, got int32/,
    },
  ],
});

/** `log(softplus(x))`: log σ from rho directly, finite for every finite x (σ underflows below −104). */
export function logSoftplus(x: Tensor): Tensor {
  return LOG_SOFTPLUS.run([x]) as Tensor;
}
