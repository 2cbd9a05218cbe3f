/**
 * The fused Adam step (core's optional `adamUpdate` kernel): one pass per element, reading the
 * parameter, its gradient and the two moments once and writing the three results once, in float64
 * stored as float32. Composed from elementwise kernels the same step takes 13 passes and 10
 * temporaries.
 */
import type { AdamHyperparameters } from '@illia-ts/core';
import { type CpuKernel, floats } from './context.js';

/**
 * The `adamUpdate` kernel: inputs `param, grad` (the first step) or `param, grad, m, v`; returns
 * `[param', m', v']`, split between threads when large.
 */
export const adamUpdate: CpuKernel<AdamHyperparameters> = (ctx, [param, grad, m, v], h) => {
  const paramValues = floats(param!);
  const n = paramValues.length;
  const outParam = ctx.float32(n);
  const outM = ctx.float32(n);
  const outV = ctx.float32(n);
  ctx.runBlocks(
    {
      kind: 'adam',
      param: paramValues,
      grad: floats(grad!),
      m: m === undefined ? null : floats(m),
      v: v === undefined ? null : floats(v),
      h,
      outParam,
      outM,
      outV,
    },
    n,
  );
  return [
    ctx.wrap(outParam, param!.shape),
    ctx.wrap(outM, param!.shape),
    ctx.wrap(outV, param!.shape),
  ];
};

/**
 * Writes one Adam step of elements `[start, end)`:
 * `m' = beta1·m + (1−beta1)·g`, `v' = beta2·v + (1−beta2)·g²` (the moments taken as 0 where `m`
 * and `v` are null: the first step) and `param' = param − (lr/c1)·m' / (sqrt(v'/c2) + epsilon)`,
 * from the float64 `m'` and `v'` (each rounded to float32 once, as it is stored).
 */
export function adamRange(
  param: Float32Array,
  grad: Float32Array,
  m: Float32Array | null,
  v: Float32Array | null,
  h: AdamHyperparameters,
  outParam: Float32Array,
  outM: Float32Array,
  outV: Float32Array,
  start: number,
  end: number,
): void {
  const { beta1, beta2, epsilon } = h;
  const gain1 = 1 - beta1;
  const gain2 = 1 - beta2;
  const step = h.lr / h.c1;
  const inverseC2 = 1 / h.c2;
  if (m === null || v === null) {
    // The first step: no moments to decay (a loop of its own keeps the common one branch-free).
    for (let i = start; i < end; i++) {
      const g = grad[i] as number;
      const mi = gain1 * g;
      const vi = gain2 * g * g;
      outM[i] = mi;
      outV[i] = vi;
      outParam[i] = (param[i] as number) - (step * mi) / (Math.sqrt(vi * inverseC2) + epsilon);
    }
    return;
  }
  for (let i = start; i < end; i++) {
    const g = grad[i] as number;
    const mi = beta1 * (m[i] as number) + gain1 * g;
    const vi = beta2 * (v[i] as number) + gain2 * g * g;
    outM[i] = mi;
    outV[i] = vi;
    outParam[i] = (param[i] as number) - (step * mi) / (Math.sqrt(vi * inverseC2) + epsilon);
  }
}
