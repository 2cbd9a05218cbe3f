/**
 * The `conv2d` kernel (NCHW, cross-correlation): per image and group, the product of the output
 * positions' windows (read in place from the zero-padded float32 image through a list of tap
 * offsets: no im2col) with the weights packed in panels of 8 output channels (`conv-engine.ts`).
 * Each output is summed over its taps in weight order (float32 blocks of 256 taps added in
 * float64 in WebAssembly, float64 in TypeScript), rounded once. At stride 1 along rows, where
 * {@link lanesTile} says so, four outputs of a row per vector instead (`conv-lanes.ts`, the same
 * sums). Split between threads by (image, group).
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
import { LANE_TILES, type LanesFunction } from './conv-lanes.js';
import { CONV_KC } from './conv-wasm.js';
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
  const tile = lanesTile(g);
  if (tile >= 0) {
    lanesUnits(x, w, out, g, first, end, simd, tile);
    return;
  }
  const { cg, og, kg, s, plane } = derived(g);
  const panels = Math.ceil(og / TILE_COLUMNS);
  const pitch = outputPitch(s);
  const at = regions({
    list: 4 * kg,
    desc: descBytes(s),
    weights: 4 * TILE_COLUMNS * kg * panels * g.groups,
    image: 4 * cg * plane,
    out: 4 * TILE_COLUMNS * panels * pitch + 12,
    staged: 4 * cg * g.h * g.w,
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
    padImage(mem, x, g, g.c, b, group * cg, cg, at.image, at.staged);
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

/**
 * Which of `conv-lanes.ts`'s tiles runs this convolution (an index into `LANE_TILES`), or −1 for
 * the 4×8 tiles: the lanes need stride 1 along rows, and take one output channel per group (where
 * the 4×8 tiles leave 7 of 8 columns empty: 16→1 5×5 on 24×24 padding 4, batch 64, 16.5–18.9
 * against 3.4–3.6 GFLOP/s; 3→1 3×3 on 32×32 padding 1, 10.5 against 2.3–2.5) or rows that fill
 * their vectors to at least 90% (1→16 5×5 on 28×28 25.8 against 18.7, 16→32 on 12×12 32 against
 * 30; 32→64 3×3 on 14×14 padding 1, 14 of 16 lanes, 25.9 against 28.4). Measured by conv.mjs's
 * method: one thread, CPU time, median of 9 or 15, load 2–4.
 */
export function lanesTile(g: ConvGeometry): number {
  if (g.sw !== 1) return -1;
  if (g.o / g.groups === 1) return 1;
  return g.wo / (4 * Math.ceil(g.wo / 4)) >= 0.9 ? 0 : -1;
}

/** {@link conv2dUnits} by `conv-lanes.ts`'s kernel with tile `tile`. */
function lanesUnits(
  x: Float32Array,
  w: Float32Array,
  out: Float32Array,
  g: ConvGeometry,
  first: number,
  end: number,
  simd: boolean,
  tile: number,
): void {
  const { cg, og, kg, s, wp, plane } = derived(g);
  const [r] = LANE_TILES[tile] as readonly [number, number];
  const blocks = Math.ceil(og / r);
  const vecs = Math.ceil(g.wo / 4);
  const blocked = kg > CONV_KC;
  const size = blocked ? 8 : 4;
  const outRow = size * 4 * vecs;
  const outChannel = outRow * g.ho;
  const wBlock = 4 * r * kg;
  const at = regions({
    list: 4 * kg,
    weights: wBlock * blocks * g.groups,
    // The last vector of a row reads up to 3 values past the plane.
    image: 4 * cg * plane + 12,
    out: outChannel * r * blocks,
    stage: 4 * og * s,
    staged: 4 * cg * g.h * g.w,
  });
  const mem = convMemory(at.bytes, 'conv2d', simd);
  const { f32, i32, rows } = mem;
  const lanes = mem.lanes[tile] as LanesFunction;
  i32.set(tapOffsets(g), at.list >> 2);
  // Weights: block b of r channels at wBlock·b, [t·r + c] (zeros past the group's last channel).
  for (let group = 0; group < g.groups; group++) {
    for (let b = 0; b < blocks; b++) {
      const to = (at.weights + wBlock * (group * blocks + b)) >> 2;
      for (let c = 0; c < r; c++) {
        const oc = b * r + c;
        const from = (group * og + oc) * kg;
        for (let t = 0; t < kg; t++) f32[to + r * t + c] = oc < og ? (w[from + t] as number) : 0;
      }
    }
  }
  f32.fill(0, at.image >> 2, (at.image >> 2) + cg * plane + 3);
  for (let unit = first; unit < end; unit++) {
    const b = Math.floor(unit / g.groups);
    const group = unit % g.groups;
    padImage(mem, x, g, g.c, b, group * cg, cg, at.image, at.staged);
    const weights = at.weights + wBlock * blocks * group;
    for (let t0 = 0; t0 < kg; t0 += CONV_KC) {
      const k = Math.min(CONV_KC, kg - t0);
      const mode = !blocked ? 0 : t0 === 0 ? 2 : 1;
      lanes(
        ...[at.image, 4 * wp * g.sh, at.list + 4 * t0, k, weights + 4 * r * t0, wBlock, blocks],
        ...[at.out, outChannel, outRow, g.ho, vecs, mode],
      );
    }
    const to = (b * g.o + group * og) * s;
    if (blocked || 4 * vecs !== g.wo) {
      // Rows of 4·vecs (float64 where blocked) to rows of wo float32, every channel's rows in turn.
      rows(blocked ? 1 : 3, at.out, size, outRow, at.stage, 4, 4 * g.wo, og * g.ho, g.wo);
      out.set(f32.subarray(at.stage >> 2, (at.stage >> 2) + og * s), to);
    } else out.set(f32.subarray(at.out >> 2, (at.out >> 2) + og * s), to);
  }
}
