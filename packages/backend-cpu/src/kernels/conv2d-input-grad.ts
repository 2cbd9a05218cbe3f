/**
 * The `conv2dInputGrad` kernel (conv2d's gradient with respect to x). At stride 1 with "same"
 * padding, where x's channels per group fill the tiles' columns, a forward convolution of dy with
 * the flipped weights ({@link asForward}). Otherwise, per image and group, the column gradient
 * `dcol = Wᵀ · dy` (taps × positions, dy read in place, four positions per vector, the weights
 * splatted) by `conv-lanes.ts` (summed over the group's output channels: float32 blocks of 256
 * added in float64 in WebAssembly, float64 in TypeScript), stored in float64, then each column
 * added into a zero-padded float64 image at its window (col2im) and the interior rounded once to
 * float32. Split between threads by (image, group).
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
  regions,
  TILE_COLUMNS,
} from './conv-engine.js';
import { LANE_TILES, type LanesFunction } from './conv-lanes.js';
import { CONV_KC } from './conv-wasm.js';
import { conv2dUnits } from './conv2d.js';
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
  const flipped = asForward(g);
  if (flipped !== null) {
    conv2dUnits(dy, flipWeights(w, g), dx, flipped, first, end, simd);
    return;
  }
  columnsThenCol2im(dy, w, dx, g, first, end, simd);
}

/**
 * The columns `Wᵀ · dy` of each image, then col2im (the module comment): the columns by
 * `conv-lanes.ts`, 4 taps × 2 vectors of positions a tile (positions in the lanes), summed over
 * the group's output channels in float32 blocks of `CONV_KC` added in float64, stored in
 * float64. Measured against the 4×8 tiles over the same columns (conv.mjs, one thread, load 4,
 * with col2im two values a step): 16→32 5×5 on 12×12 23.5 against 17.1 GFLOP/s.
 */
export function columnsThenCol2im(
  dy: Float32Array,
  w: Float32Array,
  dx: Float32Array,
  g: ConvGeometry,
  first: number,
  end: number,
  simd: boolean,
): void {
  const { cg, og, kg, s, wp, plane } = derived(g);
  // Blocks of r taps, then the last kg mod r taps one at a time in 1×7 tiles (1→16 5×5 on 28×28:
  // 25 taps, where a 7th block of 4 left 3 columns empty: 18.1–18.4 against 16.4 GFLOP/s, conv.mjs,
  // one thread, load 2.6–2.9).
  const [r] = LANE_TILES[0] as readonly [number, number];
  const full = Math.floor(kg / r);
  const rest = kg - full * r;
  const vecs = Math.ceil(s / 4);
  const colRow = 8 * 4 * vecs;
  const wBlock = 4 * r * og;
  const wGroup = wBlock * full + 4 * og * rest;
  const at = regions({
    list: 4 * og,
    weights: wGroup * g.groups,
    // The last vector of the last channel reads up to 3 values past dy.
    dy: 4 * og * s + 12,
    col: colRow * kg,
    dx: 8 * cg * plane,
    taps: 4 * kg,
    stage: 4 * cg * g.h * g.w,
  });
  const mem = convMemory(at.bytes, 'conv2dInputGrad', simd);
  const { f64, f32, i32, rows, col2im } = mem;
  const [blocksOf, oneAtATime] = mem.lanes as [LanesFunction, LanesFunction];
  for (let o = 0; o < og; o++) i32[(at.list >> 2) + o] = 4 * o * s;
  // Weights of a group: block bk of r taps at wBlock·bk, [o·r + c]; then tap t ≥ full·r at
  // wBlock·full + 4·og·(t − full·r), [o].
  for (let group = 0; group < g.groups; group++) {
    const base = (at.weights + wGroup * group) >> 2;
    for (let o = 0; o < og; o++) {
      const from = (group * og + o) * kg;
      for (let t = 0; t < kg; t++) {
        const bk = Math.floor(t / r);
        const to =
          bk < full
            ? base + bk * r * og + o * r + (t % r)
            : base + full * r * og + (t - full * r) * og + o;
        f32[to] = w[from + t] as number;
      }
    }
  }
  f32.fill(0, (at.dy >> 2) + og * s, (at.dy >> 2) + og * s + 3);
  const dxAt = at.dx >> 3;
  const { h, w: width, ho, wo, sh, sw, ph, pw, dh, dw } = g;
  const image = h * width;
  for (let ci = 0, t = at.taps >> 2; ci < cg; ci++) {
    for (let p = 0; p < g.kh; p++) {
      for (let q = 0; q < g.kw; q++) i32[t++] = at.dx + 8 * (ci * plane + p * dh * wp + q * dw);
    }
  }
  for (let unit = first; unit < end; unit++) {
    const b = Math.floor(unit / g.groups);
    const group = unit % g.groups;
    const from = (b * g.o + group * og) * s;
    f32.set(dy.subarray(from, from + og * s), at.dy >> 2);
    const weights = at.weights + wGroup * group;
    for (let o0 = 0; o0 < og; o0 += CONV_KC) {
      const k = Math.min(CONV_KC, og - o0);
      const mode = o0 === 0 ? 2 : 1;
      const list = at.list + 4 * o0;
      if (full > 0) {
        blocksOf(
          at.dy,
          0,
          list,
          k,
          weights + 4 * r * o0,
          wBlock,
          full,
          at.col,
          colRow,
          0,
          1,
          vecs,
          mode,
        );
      }
      if (rest > 0) {
        const w1 = weights + wBlock * full + 4 * o0;
        const col = at.col + colRow * r * full;
        oneAtATime(at.dy, 0, list, k, w1, 4 * og, rest, col, colRow, 0, 1, vecs, mode);
      }
    }
    f64.fill(0, dxAt, dxAt + cg * plane);
    col2im(at.col, colRow, at.taps, kg, ho, wo, 8 * sw, 8 * sh * wp);
    for (let ci = 0; ci < cg; ci++) {
      const interior = at.dx + 8 * (ci * plane + ph * wp + pw);
      rows(1, interior, 8, 8 * wp, at.stage + 4 * ci * image, 4, 4 * width, h, width);
    }
    const to = (b * g.c + group * cg) * image;
    dx.set(f32.subarray(at.stage >> 2, (at.stage >> 2) + cg * image), to);
  }
}

/**
 * At stride 1, x's gradient is a forward convolution of dy (zero-padded by `d·(k − 1) − p` each
 * side) with the weights flipped in both axes and their channel axes swapped, group by group:
 * `dx[ci, i, j] = Σ_(o, p, q) dy[o, i − ph + p·dh, j − pw + q·dw] · w[o, ci, p, q]`, which
 * `conv2d.ts` sums over (o, p', q') with p' = kh − 1 − p as one long sum in float32 blocks
 * (og·kh·kw terms: the conformance suite allows that many + 1), stored as float32 with no col2im.
 * It computes every product of dy's zero padding too (x's positions, h·w, where the columns
 * below compute y's, ho·wo) and, in the 4×8 tiles, fills panels of 8 columns with x's channels per
 * group, so it is taken only where at most 10% of its work is wasted that way: "same" padding,
 * channels per group a multiple of 8 (measured, 32→64 3×3 on 14×14 padding 1: 22.5 against 21.9
 * GFLOP/s on one thread; 16→32 5×5 on 12×12 unpadded, 2.25 times the products: 11.2 against
 * 15.7). The 1-channel layer (1→16 5×5 on 28×28) was faster in the columns (16.4 GFLOP/s) than
 * as a forward convolution with its one output channel in `conv-lanes.ts`'s lanes (13–14).
 * The geometry of that convolution, or null where it is not taken (also a stride above 1, or
 * padding wider than the kernel's span).
 */
export function asForward(g: ConvGeometry): ConvGeometry | null {
  const cg = g.c / g.groups;
  const ph = g.dh * (g.kh - 1) - g.ph;
  const pw = g.dw * (g.kw - 1) - g.pw;
  const used = cg / (TILE_COLUMNS * Math.ceil(cg / TILE_COLUMNS));
  const work = (g.ho * g.wo) / (g.h * g.w);
  if (g.sh !== 1 || g.sw !== 1 || ph < 0 || pw < 0 || used * work < 0.9) return null;
  return {
    ...{ n: g.n, c: g.o, h: g.ho, w: g.wo, o: g.c, kh: g.kh, kw: g.kw, ho: g.h, wo: g.w },
    ...{ sh: 1, sw: 1, ph, pw, dh: g.dh, dw: g.dw, groups: g.groups },
  };
}

/** `w'[ci, o, p', q'] = w[o, ci, kh − 1 − p', kw − 1 − q']` within each group. */
export function flipWeights(w: Float32Array, g: ConvGeometry): Float32Array {
  const cg = g.c / g.groups;
  const og = g.o / g.groups;
  const taps = g.kh * g.kw;
  const out = new Float32Array(w.length);
  for (let group = 0; group < g.groups; group++) {
    for (let ci = 0; ci < cg; ci++) {
      for (let o = 0; o < og; o++) {
        const from = ((group * og + o) * cg + ci) * taps;
        const to = ((group * cg + ci) * og + o) * taps;
        for (let t = 0; t < taps; t++) out[to + t] = w[from + taps - 1 - t] as number;
      }
    }
  }
  return out;
}
