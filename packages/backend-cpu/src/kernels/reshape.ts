/** The `reshape` kernel (float32 or int32): a copy of the values under the new shape. */
import type { ReshapeAttrs } from '@illia-ts/core';
import { type CpuKernel, outputArray } from './context.js';

// A copy, not a view: every tensor owns its array, so a disposed tensor's array can be recycled.
export const reshape: CpuKernel<ReshapeAttrs> = (ctx, [x], _attrs, { shape, dtype }) => {
  const out = outputArray(ctx, dtype, x!.values.length);
  out.set(x!.values);
  return ctx.wrap(out, shape);
};
