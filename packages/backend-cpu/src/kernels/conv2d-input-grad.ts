/**
 * The `conv2dInputGrad` kernel (conv2d's gradient with respect to x): per image and group, the
 * column gradient `dcol = Wᵀ · dy` (taps × positions, float64, dy read in place) by the tiles of
 * `conv-engine.ts`, then each column added into a zero-padded float64 image at its window (col2im)
 * and the interior rounded once to float32. Split between threads by (image, group).
 */
import type { Conv2dInputGradAttrs } from '@illia-ts/core';
import { sizeOf } from '@illia-ts/core';
import { type CpuKernel, floats } from './context.js';
import {
  type ConvGeometry,
  convGeometry,
  convMacs,
  convMemory,
  derived,
  descBytes,
  outputPitch,
  regions,
  writeDescriptors,
} from './conv-engine.js';
import { MACS_PER_ELEMENT } from './matmul.js';

export const conv2dInputGrad: CpuKernel<Conv2dInputGradAttrs> = (
  ctx,
  [dy, w],
  attrs,
  { shape },
) => {
  const g = convGeometry(attrs.inputShape, w!.shape, attrs);
  const units = g.n * g.groups;
  const split = ctx.splits(convMacs(g) / MACS_PER_ELEMENT, units);
  const out = ctx.float32(sizeOf(shape), split);
  if (split) {
    const job = { dy: ctx.share(floats(dy!)), w: ctx.share(floats(w!)), dx: out, g, simd: true };
    ctx.runSplit({ kind: 'conv2dInputGrad', ...job }, units);
  } else {
    conv2dInputGradUnits(floats(dy!), floats(w!), out, g, 0, units);
  }
  return ctx.wrap(out, shape);
};

/**
 * Writes units `[first, end)` (unit = image · groups + group) of x's gradient to `dx`, with the
 * WebAssembly kernel unless `simd` is false.
 */
export function conv2dInputGradUnits(
  dy: Float32Array,
  w: Float32Array,
  dx: Float32Array,
  g: ConvGeometry,
  first: number,
  end: number,
  simd = true,
): void {
  const { cg, og, kg, s, wp, plane } = derived(g);
  const panels = Math.ceil(kg / 4);
  const pitch = outputPitch(s);
  const at = regions({
    list: 4 * og,
    desc: descBytes(s),
    weights: 32 * og * panels * g.groups,
    dy: 8 * og * s,
    col: 32 * panels * pitch + 24,
    dx: 8 * cg * plane,
    stage: 4 * Math.max(og * s, cg * g.h * g.w),
  });
  const { f64, f32, i32, tiles, rows } = convMemory(at.bytes, 'conv2dInputGrad', simd);
  // The reduction runs over the group's output channels: rows of dy, s apart.
  for (let o = 0; o < og; o++) i32[(at.list >> 2) + o] = 8 * o * s;
  const positions = new Int32Array(s);
  for (let pos = 0; pos < s; pos++) positions[pos] = 8 * pos;
  const count = writeDescriptors(i32, at.desc, positions, 8);
  // B panels: 4 taps per step, [o·4 + c] (zeros past the last tap).
  for (let p = 0, bp = at.weights >> 3; p < g.groups * panels; p++) {
    const group = Math.floor(p / panels);
    const t0 = (p % panels) * 4;
    for (let o = 0; o < og; o++) {
      const from = (group * og + o) * kg + t0;
      const to = bp + (p * og + o) * 4;
      for (let c = 0; c < 4; c++) f64[to + c] = t0 + c < kg ? (w[from + c] as number) : 0;
    }
  }
  const dxAt = at.dx >> 3;
  const { h, w: width, ho, wo, sh, sw, ph, pw, dh, dw } = g;
  const image = h * width;
  // Where tap t = (ci, p, q) of position (0, 0) lands in the padded dx planes.
  const taps = new Int32Array(kg);
  for (let ci = 0, t = 0; ci < cg; ci++) {
    for (let p = 0; p < g.kh; p++) {
      for (let q = 0; q < g.kw; q++) taps[t++] = at.dx + 8 * (ci * plane + p * dh * wp + q * dw);
    }
  }
  for (let unit = first; unit < end; unit++) {
    const b = Math.floor(unit / g.groups);
    const group = unit % g.groups;
    const from = (b * g.o + group * og) * s;
    f32.set(dy.subarray(from, from + og * s), at.stage >> 2);
    rows(0, at.stage, 4, 0, at.dy, 8, 0, 1, og * s);
    for (let p = 0; p < panels; p++) {
      const weights = at.weights + 32 * og * (group * panels + p);
      tiles(at.desc, count, at.dy, at.list, og, weights, at.col + 32 * p * pitch, 8 * pitch, 2);
    }
    // col2im: tap t of position (i, j) lands on padded (i·sh + p·dh, j·sw + q·dw).
    f64.fill(0, dxAt, dxAt + cg * plane);
    for (let t = 0; t < kg; t++) {
      rows(2, at.col + 8 * t * pitch, 8, 8 * wo, taps[t] as number, 8 * sw, 8 * sh * wp, ho, wo);
    }
    for (let ci = 0; ci < cg; ci++) {
      const interior = at.dx + 8 * (ci * plane + ph * wp + pw);
      rows(1, interior, 8, 8 * wp, at.stage + 4 * ci * image, 4, 4 * width, h, width);
    }
    const to = (b * g.c + group * cg) * image;
    dx.set(f32.subarray(at.stage >> 2, (at.stage >> 2) + cg * image), to);
  }
}
