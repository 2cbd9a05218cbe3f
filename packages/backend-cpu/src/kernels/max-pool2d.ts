/**
 * The `maxPool2d` kernel: the first maximum of each window in row-major order (as the reference:
 * a later value wins only if greater, so a NaN first stays and a NaN later is passed over);
 * padding is never in the window. Split between threads by planes.
 */
import type { Pool2dAttrs } from '@illia-ts/core';
import { sizeOf } from '@illia-ts/core';
import { type CpuKernel, floats } from './context.js';
import { maxPool2x2Wasm } from './max-pool2d-wasm.js';
import { type PoolGeometry, poolGeometry, poolWork } from './pool-geometry.js';

export const maxPool2d: CpuKernel<Pool2dAttrs> = (ctx, [x], attrs, { shape }) => {
  const g = poolGeometry(x!.shape, attrs);
  const split = ctx.splits(poolWork(g), g.planes);
  const out = ctx.float32(sizeOf(shape), split);
  if (split) ctx.runSplit({ kind: 'maxPool2d', x: ctx.share(floats(x!)), out, g }, g.planes);
  else maxPool2dPlanes(floats(x!), out, g, 0, g.planes);
  return ctx.wrap(out, shape);
};

/** Writes the maxima of planes `[first, end)` to `out`. */
export function maxPool2dPlanes(
  x: Float32Array,
  out: Float32Array,
  g: PoolGeometry,
  first: number,
  end: number,
): void {
  if (isTwoByTwo(g)) {
    if (!maxPool2x2Wasm(x, out, g.h, g.w, g.ho, g.wo, first, end))
      maxPool2x2(x, out, g, first, end);
    return;
  }
  const { h, w, kh, kw, sh, sw, ph, pw, ho, wo } = g;
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
        let best = x[xp + (h0 + pLo) * w + w0 + qLo] as number;
        for (let p = pLo; p < pHi; p++) {
          const row = xp + (h0 + p) * w + w0;
          for (let q = qLo; q < qHi; q++) {
            const v = x[row + q] as number;
            if (v > best) best = v;
          }
        }
        out[o] = best;
      }
    }
  }
}

/** Whether the pool is 2×2 at stride 2, unpadded (LeNet's), which has its own loops. */
export const isTwoByTwo = (g: PoolGeometry): boolean =>
  g.kh === 2 && g.kw === 2 && g.sh === 2 && g.sw === 2 && g.ph === 0 && g.pw === 0;

/**
 * {@link maxPool2dPlanes} of a 2×2 pool at stride 2, unpadded: each window's four values read
 * in row-major order, a later one taken only if greater (the same rule, the same bits), without
 * the general loops' bounds per window (5.8 against 3.1 ms on [64, 16, 24, 24], one thread).
 * Where WebAssembly runs, `max-pool2d-wasm.ts` does the same without branches (0.8 ms).
 */
export function maxPool2x2(
  x: Float32Array,
  out: Float32Array,
  g: PoolGeometry,
  first: number,
  end: number,
) {
  const { h, w, ho, wo } = g;
  for (let plane = first; plane < end; plane++) {
    let o = plane * ho * wo;
    for (let i = 0; i < ho; i++) {
      const r0 = plane * h * w + 2 * i * w;
      const r1 = r0 + w;
      for (let j = 0, q = 0; j < wo; j++, o++, q += 2) {
        let best = x[r0 + q] as number;
        const b = x[r0 + q + 1] as number;
        const c = x[r1 + q] as number;
        const d = x[r1 + q + 1] as number;
        if (b > best) best = b;
        if (c > best) best = c;
        if (d > best) best = d;
        out[o] = best;
      }
    }
  }
}

/**
 * The index in `x` of the first maximum of window (i, j) of `plane` (what the gradient routes dy
 * to).
 */
export function argmaxOf(x: Float32Array, g: PoolGeometry, plane: number, i: number, j: number) {
  const { h, w, kh, kw, sh, sw, ph, pw } = g;
  const h0 = i * sh - ph;
  const w0 = j * sw - pw;
  const pHi = Math.min(kh, h - h0);
  const qLo = Math.max(0, -w0);
  const qHi = Math.min(kw, w - w0);
  const xp = plane * h * w;
  let at = xp + (h0 + Math.max(0, -h0)) * w + w0 + qLo;
  let best = x[at] as number;
  for (let p = Math.max(0, -h0); p < pHi; p++) {
    const row = xp + (h0 + p) * w + w0;
    for (let q = qLo; q < qHi; q++) {
      const v = x[row + q] as number;
      if (v > best) {
        best = v;
        at = row + q;
      }
    }
  }
  return at;
}
