/**
 * The `conv2dWeightsGrad` kernel (conv2d's gradient with respect to the weights): for each panel
 * of 8 output channels, tiles of 4 taps × 8 channels summed over every position of every image
 * (`conv-engine.ts`: the taps' values read in place from the zero-padded float32 image through a
 * list of position offsets, dy packed per image). Each image's sum over its positions (float32
 * blocks of 256 positions added in float64 in WebAssembly; in TypeScript the float64 sum
 * continued from image to image, the reference's order) is added to a float64 total, rounded
 * once at the end. Split between threads by panels of output channels, so every thread reads
 * every image. Where {@link weightsInLanes}, four positions per vector instead
 * (`conv-weights-lanes.ts`: each lane's float32 sum over at most 256 vectors, the lanes added in
 * float64) in blocks of 4 output channels.
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
  TILE_COLUMNS,
  tapOffsets,
  writeDescriptors,
} from './conv-engine.js';
import { CONV_KC } from './conv-wasm.js';
import { R as LANES_R, T as LANES_T } from './conv-weights-lanes.js';
import { MACS_PER_ELEMENT } from './matmul.js';

/**
 * Whether `conv-weights-lanes.ts` computes this gradient: stride 1 along rows, and rows of 4 to
 * `CONV_KC` whole vectors (y's width a multiple of 4). Measured (conv.mjs, one thread, three
 * alternating runs at load 5): 1→16 5×5 on 28×28, rows of 6 vectors, 18.6–22.3 against 18.8–20.1
 * GFLOP/s (with the forward, 25.6–26.9 against 20.8–23.7); 16→32 5×5 on 12×12, rows of 2, 21.5
 * against 24.6 (its loop over a row's vectors is as long as the products).
 */
export function weightsInLanes(g: ConvGeometry): boolean {
  return g.sw === 1 && g.wo % 4 === 0 && g.wo >= 16 && g.wo / 4 <= CONV_KC;
}

/** Units of work: blocks of output channels (8, or 4 in the lanes), group by group. */
export function weightsGradUnits(g: ConvGeometry): number {
  const per = weightsInLanes(g) ? LANES_R : TILE_COLUMNS;
  return g.groups * Math.ceil(g.o / g.groups / per);
}

export const conv2dWeightsGrad: CpuKernel<Conv2dWeightsGradAttrs> = (
  ctx,
  [x, dy],
  attrs,
  { shape },
) => {
  const g = convGeometry(x!.shape, attrs.weightsShape, attrs);
  const units = weightsGradUnits(g);
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
 * Writes the weights' gradient of units `[first, end)` (unit = group · panels + panel of 8
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
  if (weightsInLanes(g)) {
    weightsLanesUnits(x, dy, dw, g, first, end, simd);
    return;
  }
  const { cg, og, kg, s, plane } = derived(g);
  const panels = Math.ceil(og / TILE_COLUMNS);
  // Accumulator rows of kg + 3: a last tile of 1 to 3 taps writes its other rows there.
  const pitch = kg + 3;
  const rowBytes = 8 * pitch;
  const at = regions({
    list: 4 * s,
    desc: descBytes(kg),
    dy: 4 * TILE_COLUMNS * s,
    image: 4 * g.c * plane,
    stage: 4 * TILE_COLUMNS * s,
    acc: TILE_COLUMNS * rowBytes * (end - first),
    staged: 4 * g.c * g.h * g.w,
  });
  const mem = convMemory(at.bytes, 'conv2dWeightsGrad', simd);
  const { f64, f32, i32, tiles, rows } = mem;
  i32.set(positionOffsets(g), at.list >> 2);
  const count = writeDescriptors(i32, at.desc, tapOffsets(g), 8);
  const acc = at.acc >> 3;
  f32.fill(0, at.image >> 2, (at.image >> 2) + g.c * plane);
  f64.fill(0, acc, acc + TILE_COLUMNS * (end - first) * pitch);
  const dyAt = at.dy >> 2;
  for (let b = 0; b < g.n; b++) {
    padImage(mem, x, g, g.c, b, 0, g.c, at.image, at.staged);
    for (let unit = first; unit < end; unit++) {
      const group = Math.floor(unit / panels);
      const c0 = (unit % panels) * TILE_COLUMNS;
      const cols = Math.min(TILE_COLUMNS, og - c0);
      // B: dy of 8 output channels per position, [pos·8 + c] (zeros past the group's last).
      const from = (b * g.o + group * og + c0) * s;
      f32.set(dy.subarray(from, from + cols * s), at.stage >> 2);
      if (cols < TILE_COLUMNS) f32.fill(0, dyAt, dyAt + TILE_COLUMNS * s);
      rows(3, at.stage, 4, 4 * s, at.dy, 4 * TILE_COLUMNS, 4, cols, s);
      const image = at.image + 4 * group * cg * plane;
      const outAt = at.acc + TILE_COLUMNS * rowBytes * (unit - first);
      tiles(at.desc, count, image, at.list, s, at.dy, outAt, rowBytes, 1);
    }
  }
  for (let unit = first; unit < end; unit++) {
    const group = Math.floor(unit / panels);
    const c0 = (unit % panels) * TILE_COLUMNS;
    for (let c = 0; c < TILE_COLUMNS && c0 + c < og; c++) {
      const from = acc + (TILE_COLUMNS * (unit - first) + c) * pitch;
      const to = (group * og + c0 + c) * kg;
      for (let t = 0; t < kg; t++) dw[to + t] = f64[from + t] as number;
    }
  }
}

/**
 * {@link conv2dWeightsGradUnits} in `conv-weights-lanes.ts` (unit = group · blocks + block of 4
 * output channels): per image, each unit's dy copied in place of its channels (zeros past the
 * group's last), summed in float32 lanes over at most `CONV_KC` vectors a call (whole rows), each
 * call's sum added to the float64 total in the lanes' order.
 */
function weightsLanesUnits(
  x: Float32Array,
  dy: Float32Array,
  dw: Float32Array,
  g: ConvGeometry,
  first: number,
  end: number,
  simd: boolean,
): void {
  const { cg, og, kg, s, wp, plane } = derived(g);
  const blocks = Math.ceil(og / LANES_R);
  const tapBlocks = Math.ceil(kg / LANES_T);
  const vecs = g.wo / 4;
  const chunk = Math.floor(CONV_KC / vecs);
  const outChannel = 8 * LANES_T * tapBlocks;
  const units = end - first;
  const at = regions({
    list: 4 * LANES_T * tapBlocks,
    image: 4 * g.c * plane,
    staged: 4 * g.c * g.h * g.w,
    dy: 4 * LANES_R * s * units,
    acc: outChannel * LANES_R * units,
  });
  const mem = convMemory(at.bytes, 'conv2dWeightsGrad', simd);
  const { f64, f32, i32, wlanes } = mem;
  const taps = tapOffsets(g);
  for (let t = 0; t < LANES_T * tapBlocks; t++) i32[(at.list >> 2) + t] = taps[t < kg ? t : 0]!;
  f32.fill(0, at.image >> 2, (at.image >> 2) + g.c * plane);
  f32.fill(0, at.dy >> 2, (at.dy >> 2) + LANES_R * s * units);
  f64.fill(0, at.acc >> 3, (at.acc >> 3) + (outChannel >> 3) * LANES_R * units);
  const xRow = 4 * wp * g.sh;
  for (let b = 0; b < g.n; b++) {
    padImage(mem, x, g, g.c, b, 0, g.c, at.image, at.staged);
    for (let unit = first; unit < end; unit++) {
      const group = Math.floor(unit / blocks);
      const c0 = (unit % blocks) * LANES_R;
      const cols = Math.min(LANES_R, og - c0);
      const from = (b * g.o + group * og + c0) * s;
      const dyAt = at.dy + 4 * LANES_R * s * (unit - first);
      f32.set(dy.subarray(from, from + cols * s), dyAt >> 2);
      const image = at.image + 4 * group * cg * plane;
      const out = at.acc + outChannel * LANES_R * (unit - first);
      for (let i0 = 0; i0 < g.ho; i0 += chunk) {
        const rows = Math.min(chunk, g.ho - i0);
        wlanes(
          ...[image + i0 * xRow, xRow, dyAt + 16 * vecs * i0, 4 * s, at.list, tapBlocks, 1],
          ...[rows, vecs, out, outChannel],
        );
      }
    }
  }
  for (let unit = first; unit < end; unit++) {
    const group = Math.floor(unit / blocks);
    const c0 = (unit % blocks) * LANES_R;
    for (let c = 0; c < LANES_R && c0 + c < og; c++) {
      const from = (at.acc + outChannel * (LANES_R * (unit - first) + c)) >> 3;
      const to = (group * og + c0 + c) * kg;
      for (let t = 0; t < kg; t++) dw[to + t] = f64[from + t] as number;
    }
  }
}
