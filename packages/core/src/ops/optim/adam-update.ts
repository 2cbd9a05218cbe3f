import type { Tensor } from '../../tensor.js';
import { defineOp } from '../define.js';
import { add } from '../elementwise/add.js';
import { div } from '../elementwise/div.js';
import { mul } from '../elementwise/mul.js';
import { sqrt } from '../elementwise/sqrt.js';
import { square } from '../elementwise/square.js';
import { sub } from '../elementwise/sub.js';

/**
 * The numbers of one Adam step: the decay rates, the epsilon added to the denominator, the
 * learning rate, and the bias corrections `c1 = 1 − beta1^t`, `c2 = 1 − beta2^t` of step t.
 */
export interface AdamHyperparameters {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly lr: number;
  readonly c1: number;
  readonly c2: number;
}

/**
 * One Adam step of one parameter: inputs `param, grad` (the first step) or `param, grad, m, v`;
 * outputs `param', m', v'` (new tensors; the inputs stay valid):
 * `m' = beta1·m + (1−beta1)·g`, `v' = beta2·v + (1−beta2)·g²` (`m`, `v` taken as 0 on the first
 * step), `param' = param − (lr/c1) · m' / (sqrt(v'/c2) + epsilon)`.
 */
const ADAM_UPDATE = defineOp<AdamHyperparameters>({
  name: 'adamUpdate',
  family: 'optim',
  summary:
    "one Adam step of one parameter: param, grad[, m, v] → param', m', v'; fused where a backend has a kernel",
  inputs: [
    { name: 'param', dtype: 'float32' },
    { name: 'grad', dtype: 'float32' },
    { name: 'm', dtype: 'float32', optional: true },
    { name: 'v', dtype: 'float32', optional: true },
  ],
  attrs: (options) => options as AdamHyperparameters,
  output: ([param]) => {
    const o = { shape: (param as Tensor).shape, dtype: 'float32' } as const;
    return [o, o, o];
  },
  fallback: ([param, grad, m0, v0], h) => {
    const p = param as Tensor;
    const g = grad as Tensor;
    const { beta1, beta2, epsilon, lr, c1, c2 } = h;
    const m = m0 ? add(mul(m0 as Tensor, beta1), mul(g, 1 - beta1)) : mul(g, 1 - beta1);
    const v = v0
      ? add(mul(v0 as Tensor, beta2), mul(square(g), 1 - beta2))
      : mul(square(g), 1 - beta2);
    const next = sub(p, mul(div(m, add(sqrt(mul(v, 1 / c2)), epsilon)), lr / c1));
    return [next, m, v];
  },
});

/** One Adam step (see above); `m` and `v` are null on the first step. */
export function adamUpdate(
  param: Tensor,
  grad: Tensor,
  m: Tensor | null,
  v: Tensor | null,
  h: AdamHyperparameters,
): [Tensor, Tensor, Tensor] {
  const inputs = m === null || v === null ? [param, grad] : [param, grad, m, v];
  return ADAM_UPDATE.runMulti(inputs, h) as [Tensor, Tensor, Tensor];
}
