/** The `oneHot` kernel (core's optional one): float32 rows of zeros with a 1 at each int32 label. */
import type { OneHotAttrs } from '@illia-ts/core';
import type { CpuKernel } from './context.js';
import { checkIndices } from './gather.js';

export const oneHot: CpuKernel<OneHotAttrs> = (ctx, [labels], { depth }, { shape }) => {
  const l = labels!.values as Int32Array;
  checkIndices('oneHot', 'labels', l, depth);
  const out = ctx.float32(l.length * depth);
  out.fill(0);
  for (let i = 0; i < l.length; i++) out[i * depth + (l[i] as number)] = 1;
  return ctx.wrap(out, shape);
};
