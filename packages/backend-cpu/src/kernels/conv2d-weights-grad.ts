/**
 * The `conv2dWeightsGrad` kernel (conv2d's gradient with respect to the weights): for each panel
 * of 4 output channels, tiles of 4 taps × 4 channels summed over every position of every image
 * (`conv-engine.ts`: the taps' values read in place from the zero-padded float64 image through a
 * list of position offsets, dy packed per image). The sums continue from image to image in float64,
 * so each gradient is the float64 sum in the reference's order (image, then position), rounded
 * once. Split between threads by panels of output channels, so every thread reads every image.
 */
import type { Conv2dWeightsGradAttrs } from '@illia-ts/core';
import { sizeOf } from '@illia-ts/core';
import { type CpuKernel, floats } from './context.js';
import {
  type ConvGeometry,
  convGeometry,
  convMacs,
  convMemory,
  derived,
  descBytes,
  padImage,
  positionOffsets,
  regions,
  tapOffsets,
  writeDescriptors,
} from './conv-engine.js';
import { MACS_PER_ELEMENT } from './matmul.js';

/** Units of work: panels of 4 output channels, group by group. */
function unitsOf(g: ConvGeometry): number {
  return g.groups * Math.ceil(g.o / g.groups / 4);
}

export const conv2dWeightsGrad: CpuKernel<Conv2dWeightsGradAttrs> = (
  ctx,
  [x, dy],
  attrs,
  { shape },
) => {
  const g = convGeometry(x!.shape, attrs.weightsShape, attrs);
  const units = unitsOf(g);
  const split = ctx.splits(convMacs(g) / MACS_PER_ELEMENT, units);
  const out = ctx.float32(sizeOf(shape), split);
  if (split) {
    const job = { x: ctx.share(floats(x!)), dy: ctx.share(floats(dy!)), dw: out, g, simd: true };
    ctx.runSplit({ kind: 'conv2dWeightsGrad', ...job }, units);
  } else {
    conv2dWeightsGradUnits(floats(x!), floats(dy!), out, g, 0, units);
  }
  return ctx.wrap(out, shape);
};

/**
 * Writes the weights' gradient of units `[first, end)` (unit = group · panels + panel of 4
 * output channels) to `dw`, with the WebAssembly kernel unless `simd` is false.
 */
export function conv2dWeightsGradUnits(
  x: Float32Array,
  dy: Float32Array,
  dw: Float32Array,
  g: ConvGeometry,
  first: number,
  end: number,
  simd = true,
): void {
  const { cg, og, kg, s, plane } = derived(g);
  const panels = Math.ceil(og / 4);
  // Accumulator rows of kg + 3: a last tile of 1 to 3 taps writes its other rows there.
  const pitch = kg + 3;
  const at = regions({
    list: 4 * s,
    desc: descBytes(kg),
    dy: 32 * s,
    image: 8 * g.c * plane,
    stage: 4 * Math.max(g.c * g.h * g.w, 4 * s),
    acc: 32 * (end - first) * pitch,
  });
  const mem = convMemory(at.bytes, 'conv2dWeightsGrad', simd);
  const { f64, f32, i32, tiles, rows } = mem;
  i32.set(positionOffsets(g), at.list >> 2);
  const count = writeDescriptors(i32, at.desc, tapOffsets(g), 8);
  const image = at.image >> 3;
  const acc = at.acc >> 3;
  f64.fill(0, image, image + g.c * plane);
  f64.fill(0, acc, acc + 4 * (end - first) * pitch);
  const dyAt = at.dy >> 3;
  for (let b = 0; b < g.n; b++) {
    padImage(mem, x, g, g.c, b, 0, g.c, at.stage, at.image);
    for (let unit = first; unit < end; unit++) {
      const group = Math.floor(unit / panels);
      const c0 = (unit % panels) * 4;
      const cols = Math.min(4, og - c0);
      // B: dy of 4 output channels per position, [pos·4 + c] (zeros past the group's last).
      const from = (b * g.o + group * og + c0) * s;
      f32.set(dy.subarray(from, from + cols * s), at.stage >> 2);
      if (cols < 4) f64.fill(0, dyAt, dyAt + 4 * s);
      rows(0, at.stage, 4, 4 * s, at.dy, 32, 8, cols, s);
      const outAt = at.acc + 32 * (unit - first) * pitch;
      tiles(
        at.desc,
        count,
        at.image + 8 * group * cg * plane,
        at.list,
        s,
        at.dy,
        outAt,
        8 * pitch,
        1,
      );
    }
  }
  for (let unit = first; unit < end; unit++) {
    const group = Math.floor(unit / panels);
    const c0 = (unit % panels) * 4;
    for (let c = 0; c < 4 && c0 + c < og; c++) {
      const from = acc + (4 * (unit - first) + c) * pitch;
      const to = (group * og + c0 + c) * kg;
      for (let t = 0; t < kg; t++) dw[to + t] = f64[from + t] as number;
    }
  }
}
