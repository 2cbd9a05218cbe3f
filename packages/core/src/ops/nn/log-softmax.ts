import type { Tensor } from '../../tensor.js';
import { defineOp, type RefTensor } from '../define.js';
import { exp } from '../elementwise/exp.js';
import { mul } from '../elementwise/mul.js';
import { sub } from '../elementwise/sub.js';
import { mean, sum } from '../reduction/sum.js';
import { reshape } from '../shape/reshape.js';

/** Row-wise over the last axis: each row's max and log Σ exp(x − max), in float64. */
function rows(
  x: RefTensor,
  each: (start: number, n: number, max: number, lse: number) => void,
): void {
  const n = x.shape[x.shape.length - 1] as number;
  for (let start = 0; start < x.values.length; start += n) {
    let max = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < n; i++) max = Math.max(max, x.values[start + i] as number);
    let total = 0;
    for (let i = 0; i < n; i++) total += Math.exp((x.values[start + i] as number) - max);
    each(start, n, max, Math.log(total));
  }
}

const LOG_SOFTMAX = defineOp({
  name: 'logSoftmax',
  family: 'nn',
  summary: 'x − logsumexp(x) along the last axis, computed stably',
  inputs: [{ name: 'x', dtype: 'float32' }],
  output: ([x]) => {
    const t = x as Tensor;
    if (t.shape.length === 0) {
      throw new RangeError('logSoftmax: x must have at least one axis, got a scalar');
    }
    return { shape: t.shape, dtype: 'float32' };
  },
  gradient: ({ inputs: [x], output, dy }) => {
    const t = x as Tensor;
    const kept = [...t.shape.slice(0, -1), 1];
    return [sub(dy as Tensor, mul(exp(output as Tensor), reshape(sum(dy as Tensor, -1), kept)))];
  },
  reference: ([x]) => {
    const r = x as RefTensor;
    const out = new Float64Array(r.values.length);
    rows(r, (start, n, max, lse) => {
      for (let i = start; i < start + n; i++) out[i] = (r.values[i] as number) - max - lse;
    });
    return out;
  },
  tolerance: {
    // x − max is exact (Sterbenz, or one rounding); exp and log are transcendental (8 each), the
    // row sum n more; relative to the terms subtracted, |x − max| and log Σ.
    roundings: ([x]) => 18 + ((x?.shape[x.shape.length - 1] as number) ?? 1),
    scale: ([x]) => {
      const r = x as RefTensor;
      const scale = new Float64Array(r.values.length);
      rows(r, (start, n, max, lse) => {
        for (let i = start; i < start + n; i++)
          scale[i] = Math.abs((r.values[i] as number) - max) + Math.abs(lse);
      });
      return scale;
    },
  },
  cases: [
    { name: 'rows of [3, 5]', inputs: [{ shape: [3, 5] }] },
    { name: 'vector [7]', inputs: [{ shape: [7] }] },
    {
      name: 'large logits',
      inputs: [{ shape: [2, 3], values: [1000, 1001, 999, -50, 0, 50] }],
      gradient: false,
    },
  ],
  errors: [
    {
      name: 'scalar',
      inputs: [{ shape: [] }],
      throws: /logSoftmax: x must have at least one axis, got a scalar/,
    },
  ],
});

/** `x − logsumexp(x)` along the last axis, computed stably. */
export function logSoftmax(x: Tensor): Tensor {
  return LOG_SOFTMAX.run([x]) as Tensor;
}

/** `log Σ exp(x)` along the last axis (dropped), computed stably. */
export function logSumExp(x: Tensor): Tensor {
  const lsm = logSoftmax(x);
  // logsumexp = x − logSoftmax(x), the same in every position of the axis: take the mean.
  const diff = sub(x, lsm);
  const result = mean(diff, -1);
  lsm.dispose();
  diff.dispose();
  return result;
}
