/**
 * The `maxPool2dGrad` kernel: each window's dy added at its first maximum in x. Overlapping
 * windows (stride below the window) add in window order in a float64 plane, rounded once (the
 * reference's sum); windows that cannot overlap write dy in place. Split between threads by
 * planes.
 */
import type { Pool2dAttrs } from '@illia-ts/core';
import { sizeOf } from '@illia-ts/core';
import { type CpuKernel, floats } from './context.js';
import { argmaxOf, isTwoByTwo } from './max-pool2d.js';
import { maxPool2x2GradWasm } from './max-pool2d-wasm.js';
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
  if (isTwoByTwo(g)) {
    if (!maxPool2x2GradWasm(x, dy, dx, g.h, g.w, g.ho, g.wo, first, end)) {
      maxPool2x2Grad(x, dy, dx, g, first, end);
    }
    return;
  }
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

/**
 * {@link maxPool2dGradPlanes} of a 2×2 pool at stride 2, unpadded: each window's dy (plus +0, as
 * the reference's sum from +0) at its first maximum (the forward's rule) and +0 at its other
 * three; the row and column no window covers (odd h or w) are +0. Where WebAssembly runs,
 * `max-pool2d-wasm.ts` does the same without branches.
 */
export function maxPool2x2Grad(
  x: Float32Array,
  dy: Float32Array,
  dx: Float32Array,
  g: PoolGeometry,
  first: number,
  end: number,
): void {
  const { h, w, ho, wo } = g;
  for (let plane = first; plane < end; plane++) {
    const xp = plane * h * w;
    let o = plane * ho * wo;
    for (let i = 0; i < ho; i++) {
      const r0 = xp + 2 * i * w;
      const r1 = r0 + w;
      for (let j = 0, q = 0; j < wo; j++, o++, q += 2) {
        const a = x[r0 + q] as number;
        const b = x[r0 + q + 1] as number;
        const c = x[r1 + q] as number;
        const d = x[r1 + q + 1] as number;
        let best = a;
        let at = 0;
        if (b > best) {
          best = b;
          at = 1;
        }
        if (c > best) {
          best = c;
          at = 2;
        }
        if (d > best) at = 3;
        const v = (dy[o] as number) + 0;
        dx[r0 + q] = at === 0 ? v : 0;
        dx[r0 + q + 1] = at === 1 ? v : 0;
        dx[r1 + q] = at === 2 ? v : 0;
        dx[r1 + q + 1] = at === 3 ? v : 0;
      }
      if (w > 2 * wo) {
        dx[r0 + w - 1] = 0;
        dx[r1 + w - 1] = 0;
      }
    }
    if (h > 2 * ho) dx.fill(0, xp + (h - 1) * w, xp + h * w);
  }
}
