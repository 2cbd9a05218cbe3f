/**
 * The `avgPool2d` kernel (core's optional one): each window's float64 sum in row-major order
 * divided by the whole window's size, padding counted as zeros (PyTorch's count_include_pad), as
 * the reference. Split between threads by planes.
 */
import type { Pool2dAttrs } from '@illia-ts/core';
import { sizeOf } from '@illia-ts/core';
import { type CpuKernel, floats } from './context.js';
import { type PoolGeometry, poolGeometry, poolWork } from './pool-geometry.js';

export const avgPool2d: CpuKernel<Pool2dAttrs> = (ctx, [x], attrs, { shape }) => {
  const g = poolGeometry(x!.shape, attrs);
  const split = ctx.splits(poolWork(g), g.planes);
  const out = ctx.float32(sizeOf(shape), split);
  if (split) ctx.runSplit({ kind: 'avgPool2d', x: ctx.share(floats(x!)), out, g }, g.planes);
  else avgPool2dPlanes(floats(x!), out, g, 0, g.planes);
  return ctx.wrap(out, shape);
};

/** Writes the means of planes `[first, end)` to `out`. */
export function avgPool2dPlanes(
  x: Float32Array,
  out: Float32Array,
  g: PoolGeometry,
  first: number,
  end: number,
): void {
  const { h, w, kh, kw, sh, sw, ph, pw, ho, wo } = g;
  const area = kh * kw;
  for (let plane = first; plane < end; plane++) {
    const xp = plane * h * w;
    let o = plane * ho * wo;
    for (let i = 0; i < ho; i++) {
      const h0 = i * sh - ph;
      const pLo = Math.max(0, -h0);
      const pHi = Math.min(kh, h - h0);
      for (let j = 0; j < wo; j++, o++) {
        const w0 = j * sw - pw;
        const qLo = Math.max(0, -w0);
        const qHi = Math.min(kw, w - w0);
        let total = 0;
        for (let p = pLo; p < pHi; p++) {
          const row = xp + (h0 + p) * w + w0;
          for (let q = qLo; q < qHi; q++) total += x[row + q] as number;
        }
        out[o] = total / area;
      }
    }
  }
}
