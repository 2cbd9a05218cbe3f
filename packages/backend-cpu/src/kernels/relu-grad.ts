/**
 * The `reluGrad` kernel (core's optional one): `dy · (x > 0)` in one pass, where core composes a
 * comparison and a product (two passes and a mask array). The same bits: the product by 1 or 0
 * keeps NaN and −0 as the composed form does.
 */
import { type CpuKernel, floats } from './context.js';

export const reluGrad: CpuKernel = (ctx, [x, dy]) => {
  const n = x!.values.length;
  const out = ctx.float32(n);
  ctx.runBlocks({ kind: 'reluGrad', x: floats(x!), dy: floats(dy!), out }, n);
  return ctx.wrap(out, x!.shape);
};

/**
 * Elements `[start, end)` of `dy · (x > 0)`: the mask as `+(x > 0)`, not a ternary, which V8
 * compiles to a branch that data of both signs mispredicts (as `maps.ts` found for `greater`);
 * eight elements a loop step, as there.
 */
export function reluGradRange(
  x: Float32Array,
  dy: Float32Array,
  out: Float32Array,
  start: number,
  end: number,
): void {
  let i = start;
  for (const end8 = end - 7; i < end8; i += 8) {
    out[i] = (dy[i] as number) * +((x[i] as number) > 0);
    out[i + 1] = (dy[i + 1] as number) * +((x[i + 1] as number) > 0);
    out[i + 2] = (dy[i + 2] as number) * +((x[i + 2] as number) > 0);
    out[i + 3] = (dy[i + 3] as number) * +((x[i + 3] as number) > 0);
    out[i + 4] = (dy[i + 4] as number) * +((x[i + 4] as number) > 0);
    out[i + 5] = (dy[i + 5] as number) * +((x[i + 5] as number) > 0);
    out[i + 6] = (dy[i + 6] as number) * +((x[i + 6] as number) > 0);
    out[i + 7] = (dy[i + 7] as number) * +((x[i + 7] as number) > 0);
  }
  for (; i < end; i++) out[i] = (dy[i] as number) * +((x[i] as number) > 0);
}
