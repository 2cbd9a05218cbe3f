/**
 * The `conv2d` kernel (NCHW, cross-correlation): per image and group, the product of the output
 * positions' windows (read in place from the zero-padded float64 image through a list of tap
 * offsets: no im2col) with the weights packed in panels of 4 output channels (`conv-engine.ts`).
 * Each output is the float64 sum over its taps in weight order (the reference's), rounded once.
 * Split between threads by (image, group).
 */
import { type Conv2dAttrs, sizeOf } from '@illia-ts/core';
import { type CpuKernel, floats } from './context.js';
import {
  type ConvGeometry,
  convGeometry,
  convMacs,
  convMemory,
  derived,
  descBytes,
  outputPitch,
  padImage,
  positionOffsets,
  regions,
  tapOffsets,
  writeDescriptors,
} from './conv-engine.js';
import { MACS_PER_ELEMENT } from './matmul.js';

export const conv2d: CpuKernel<Conv2dAttrs> = (ctx, [x, w], attrs, { shape }) => {
  const g = convGeometry(x!.shape, w!.shape, attrs);
  const units = g.n * g.groups;
  const split = ctx.splits(convMacs(g) / MACS_PER_ELEMENT, units);
  const out = ctx.float32(sizeOf(shape), split);
  if (split) {
    const job = { x: ctx.share(floats(x!)), w: ctx.share(floats(w!)), out, g, simd: true };
    ctx.runSplit({ kind: 'conv2d', ...job }, units);
  } else {
    conv2dUnits(floats(x!), floats(w!), out, g, 0, units);
  }
  return ctx.wrap(out, shape);
};

/**
 * Writes units `[first, end)` of conv2d (unit = image · groups + group) to `out`, with the
 * WebAssembly kernel unless `simd` is false.
 */
export function conv2dUnits(
  x: Float32Array,
  w: Float32Array,
  out: Float32Array,
  g: ConvGeometry,
  first: number,
  end: number,
  simd = true,
): void {
  const { cg, og, kg, s, plane } = derived(g);
  const panels = Math.ceil(og / 4);
  const pitch = outputPitch(s);
  const at = regions({
    list: 4 * kg,
    desc: descBytes(s),
    weights: 32 * kg * panels * g.groups,
    image: 8 * cg * plane,
    stage: 4 * cg * g.h * g.w,
    out: 16 * panels * pitch + 12,
  });
  const mem = convMemory(at.bytes, 'conv2d', simd);
  const { f64, f32, i32, tiles } = mem;
  i32.set(tapOffsets(g), at.list >> 2);
  const count = writeDescriptors(i32, at.desc, positionOffsets(g), 4);
  // B panels: 4 output channels per step, [t·4 + c] (zeros past the group's last channel).
  for (let p = 0, bp = at.weights >> 3; p < g.groups * panels; p++) {
    const group = Math.floor(p / panels);
    const c0 = (p % panels) * 4;
    for (let c = 0; c < 4; c++) {
      const from = (group * og + c0 + c) * kg;
      const to = bp + p * kg * 4 + c;
      if (c0 + c < og) for (let t = 0; t < kg; t++) f64[to + 4 * t] = w[from + t] as number;
      else for (let t = 0; t < kg; t++) f64[to + 4 * t] = 0;
    }
  }
  f64.fill(0, at.image >> 3, (at.image >> 3) + cg * plane);
  for (let unit = first; unit < end; unit++) {
    const b = Math.floor(unit / g.groups);
    const group = unit % g.groups;
    padImage(mem, x, g, g.c, b, group * cg, cg, at.stage, at.image);
    for (let p = 0; p < panels; p++) {
      const weights = at.weights + 32 * kg * (group * panels + p);
      tiles(at.desc, count, at.image, at.list, kg, weights, at.out + 16 * p * pitch, 4 * pitch, 0);
    }
    const from = at.out >> 2;
    const to = (b * g.o + group * og) * s;
    if (pitch === s) out.set(f32.subarray(from, from + og * s), to);
    else
      for (let oc = 0; oc < og; oc++)
        out.set(f32.subarray(from + oc * pitch, from + oc * pitch + s), to + oc * s);
  }
}
