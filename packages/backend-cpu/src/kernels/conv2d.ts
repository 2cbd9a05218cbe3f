/**
 * The `conv2d` kernel (NCHW, cross-correlation): per image and group, the product of the output
 * positions' windows (read in place from the zero-padded float32 image through a list of tap
 * offsets: no im2col) with the weights packed in panels of 8 output channels (`conv-engine.ts`).
 * Each output is summed over its taps in weight order (float32 blocks of 256 taps added in
 * float64 in WebAssembly, float64 in TypeScript), rounded once. Split between threads by
 * (image, group).
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
  TILE_COLUMNS,
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
  const panels = Math.ceil(og / TILE_COLUMNS);
  const pitch = outputPitch(s);
  const at = regions({
    list: 4 * kg,
    desc: descBytes(s),
    weights: 4 * TILE_COLUMNS * kg * panels * g.groups,
    image: 4 * cg * plane,
    out: 4 * TILE_COLUMNS * panels * pitch + 12,
  });
  const mem = convMemory(at.bytes, 'conv2d', simd);
  const { f32, i32, tiles } = mem;
  i32.set(tapOffsets(g), at.list >> 2);
  const count = writeDescriptors(i32, at.desc, positionOffsets(g), 4);
  // B panels: 8 output channels per step, [t·8 + c] (zeros past the group's last channel).
  for (let p = 0, bp = at.weights >> 2; p < g.groups * panels; p++) {
    const group = Math.floor(p / panels);
    const c0 = (p % panels) * TILE_COLUMNS;
    for (let c = 0; c < TILE_COLUMNS; c++) {
      const from = (group * og + c0 + c) * kg;
      const to = bp + p * kg * TILE_COLUMNS + c;
      if (c0 + c < og) {
        for (let t = 0; t < kg; t++) f32[to + TILE_COLUMNS * t] = w[from + t] as number;
      } else for (let t = 0; t < kg; t++) f32[to + TILE_COLUMNS * t] = 0;
    }
  }
  f32.fill(0, at.image >> 2, (at.image >> 2) + cg * plane);
  const panelBytes = 4 * TILE_COLUMNS * kg;
  const rowBytes = 4 * pitch;
  for (let unit = first; unit < end; unit++) {
    const b = Math.floor(unit / g.groups);
    const group = unit % g.groups;
    padImage(mem, x, g, g.c, b, group * cg, cg, at.image);
    for (let p = 0; p < panels; p++) {
      const weights = at.weights + panelBytes * (group * panels + p);
      const out = at.out + TILE_COLUMNS * rowBytes * p;
      tiles(at.desc, count, at.image, at.list, kg, weights, out, rowBytes, 0);
    }
    const from = at.out >> 2;
    const to = (b * g.o + group * og) * s;
    if (pitch === s) out.set(f32.subarray(from, from + og * s), to);
    else
      for (let oc = 0; oc < og; oc++)
        out.set(f32.subarray(from + oc * pitch, from + oc * pitch + s), to + oc * s);
  }
}
