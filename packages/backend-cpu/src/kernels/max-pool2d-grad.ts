/**
 * The `maxPool2dGrad` kernel: each window's dy added at its first maximum in x. Overlapping
 * windows (stride below the window) add in window order in a float64 plane, rounded once (the
 * reference's sum); windows that cannot overlap write dy in place. Split between threads by
 * planes.
 */
import type { Pool2dAttrs } from '@illia-ts/core';
import { sizeOf } from '@illia-ts/core';
import { type CpuKernel, floats } from './context.js';
import { argmaxOf } from './max-pool2d.js';
import { type PoolGeometry, poolGeometry, poolWork } from './pool-geometry.js';

export const maxPool2dGrad: CpuKernel<Pool2dAttrs> = (ctx, [x, dy], attrs, { shape }) => {
  const g = poolGeometry(x!.shape, attrs);
  const split = ctx.splits(poolWork(g), g.planes);
  const dx = ctx.float32(sizeOf(shape), split);
  if (split) {
    const job = { x: ctx.share(floats(x!)), dy: ctx.share(floats(dy!)), dx, g };
    ctx.runSplit({ kind: 'maxPool2dGrad', ...job }, g.planes);
  } else {
    maxPool2dGradPlanes(floats(x!), floats(dy!), dx, g, 0, g.planes);
  }
  return ctx.wrap(dx, shape);
};

/** This thread's float64 plane, kept between calls while small. */
let scratch = new Float64Array(0);

/** Writes the gradient of planes `[first, end)` to `dx`. */
export function maxPool2dGradPlanes(
  x: Float32Array,
  dy: Float32Array,
  dx: Float32Array,
  g: PoolGeometry,
  first: number,
  end: number,
): void {
  const { h, w, ho, wo } = g;
  const size = h * w;
  const overlap = g.sh < g.kh || g.sw < g.kw;
  let acc = scratch;
  if (overlap && acc.length < size) {
    acc = new Float64Array(size);
    if (size <= 65536) scratch = acc;
  }
  for (let plane = first; plane < end; plane++) {
    const xp = plane * size;
    let o = plane * ho * wo;
    if (!overlap) {
      dx.fill(0, xp, xp + size);
      for (let i = 0; i < ho; i++) {
        for (let j = 0; j < wo; j++, o++) dx[argmaxOf(x, g, plane, i, j)] = (dy[o] as number) + 0;
      }
      continue;
    }
    acc.fill(0, 0, size);
    for (let i = 0; i < ho; i++) {
      for (let j = 0; j < wo; j++, o++) {
        const at = argmaxOf(x, g, plane, i, j) - xp;
        acc[at] = (acc[at] as number) + (dy[o] as number);
      }
    }
    for (let k = 0; k < size; k++) dx[xp + k] = acc[k] as number;
  }
}
