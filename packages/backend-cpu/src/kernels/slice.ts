/** The `slice` kernel (float32 or int32): the block at `begin` of `size`, by runs (`copy-block.ts`). */
import { type SliceAttrs, sizeOf, stridesOf } from '@illia-ts/core';
import { type CpuKernel, outputArray } from './context.js';
import { blockLayout, copyBlock } from './copy-block.js';

export const slice: CpuKernel<SliceAttrs> = (ctx, [x], { begin, size }, { shape, dtype }) => {
  const n = sizeOf(shape);
  const strides = stridesOf(x!.shape);
  let offset = 0;
  begin.forEach((b, d) => {
    offset += b * (strides[d] as number);
  });
  const layout = blockLayout(size, strides, stridesOf(size), offset, 0);
  const split = ctx.splits(n, 2);
  const out = outputArray(ctx, dtype, n, split);
  copyBlock(ctx, x!.values, out, layout, split);
  return ctx.wrap(out, shape);
};
