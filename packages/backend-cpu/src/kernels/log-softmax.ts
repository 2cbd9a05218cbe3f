/** The `logSoftmax` kernel: `x − log Σ exp(x)` along the last axis, in float64. */
import { type CpuKernel, floats } from './context.js';

export const logSoftmax: CpuKernel = (ctx, [x]) => {
  const values = floats(x!);
  const cols = x!.shape.length === 0 ? 1 : (x!.shape[x!.shape.length - 1] as number);
  return ctx.wrap(logSoftmaxRows(values, cols, ctx.float32(values.length)), x!.shape);
};

/** Writes `x − log Σ exp(x)` over rows of `cols`, shifted by the row maximum, to `out`. */
export function logSoftmaxRows(x: Float32Array, cols: number, out: Float32Array): Float32Array {
  for (let start = 0; start < x.length; start += cols) {
    let max = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < cols; j++) max = Math.max(max, x[start + j] as number);
    let total = 0;
    for (let j = 0; j < cols; j++) total += Math.exp((x[start + j] as number) - max);
    const shift = max + Math.log(total);
    for (let j = 0; j < cols; j++) out[start + j] = (x[start + j] as number) - shift;
  }
  return out;
}
