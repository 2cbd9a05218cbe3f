/**
 * The `concat` kernel (float32 or int32): each input copied into its block of the output, by runs
 * (`copy-block.ts`).
 */
import { type ConcatAttrs, sizeOf, stridesOf } from '@illia-ts/core';
import { type CpuKernel, outputArray } from './context.js';
import { blockLayout, copyBlock } from './copy-block.js';

export const concat: CpuKernel<ConcatAttrs> = (ctx, tensors, { axis }, { shape, dtype }) => {
  const n = sizeOf(shape);
  const strides = stridesOf(shape);
  const out = outputArray(ctx, dtype, n, ctx.splits(n, 2));
  let at = 0;
  for (const t of tensors) {
    const layout = blockLayout(
      t.shape,
      stridesOf(t.shape),
      strides,
      0,
      at * (strides[axis] as number),
    );
    copyBlock(ctx, t.values, out, layout, ctx.splits(t.values.length, 2));
    at += t.shape[axis] as number;
  }
  return ctx.wrap(out, shape);
};
