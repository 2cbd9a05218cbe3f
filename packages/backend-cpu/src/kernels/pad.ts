/**
 * The `pad` kernel (float32 or int32): zeros, then `x` copied into the block after the leading
 * padding, by runs (`copy-block.ts`).
 */
import { type PadAttrs, sizeOf, stridesOf } from '@illia-ts/core';
import { type CpuKernel, outputArray } from './context.js';
import { blockLayout, copyBlock } from './copy-block.js';

export const pad: CpuKernel<PadAttrs> = (ctx, [x], { paddings }, { shape, dtype }) => {
  const n = sizeOf(shape);
  const strides = stridesOf(shape);
  let offset = 0;
  paddings.forEach(([before], d) => {
    offset += before * (strides[d] as number);
  });
  const layout = blockLayout(x!.shape, stridesOf(x!.shape), strides, 0, offset);
  const split = ctx.splits(n, 2);
  const out = outputArray(ctx, dtype, n, split);
  out.fill(0);
  copyBlock(ctx, x!.values, out, layout, split);
  return ctx.wrap(out, shape);
};
