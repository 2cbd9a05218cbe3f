import type { Conv2dAttrs } from '@illia-ts/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../cpu-backend.js';
import {
  firstDifference,
  firstDifferenceFrom,
  reference,
  runOn,
  runOnCounting,
  startTwoThreads,
  values,
} from '../test-helpers.js';
import { type ConvGeometry, convGeometry } from './conv-engine.js';
import { CONV_KC, convWasm } from './conv-wasm.js';
import { conv2dUnits } from './conv2d.js';
import { asForward, conv2dInputGradUnits, flipWeights } from './conv2d-input-grad.js';
import { conv2dWeightsGradUnits, weightsGradUnits, weightsInLanes } from './conv2d-weights-grad.js';

const one = new CpuBackend({ threads: 1 });
/** Two threads, every convolution split between them. */
let two: CpuBackend;

beforeAll(async () => {
  two = await startTwoThreads({ parallelThreshold: 1 });
}, 60_000);

const size = (shape: readonly number[]) => shape.reduce((p, q) => p * q, 1);

interface Case {
  readonly name: string;
  readonly x: readonly [number, number, number, number];
  readonly w: readonly [number, number, number, number];
  readonly attrs?: Partial<Conv2dAttrs>;
}

/**
 * Shapes whose tiles end part-way: positions, output channels and taps not multiples of 4 (1, 2
 * and 3 over); strides, padding, dilation and groups; one output position; a 1×1 kernel; the
 * first LeNet layer.
 */
const CASES: readonly Case[] = [
  {
    name: '3×3, padding [1, 0], 5 channels',
    x: [3, 2, 9, 8],
    w: [5, 2, 3, 3],
    attrs: { padding: [1, 0] },
  },
  {
    name: 'stride [2, 3], padding [2, 1], dilation [1, 2]',
    x: [2, 3, 11, 10],
    w: [6, 3, 5, 4],
    attrs: { stride: [2, 3], padding: [2, 1], dilation: [1, 2] },
  },
  { name: 'groups 2', x: [2, 4, 7, 7], w: [6, 2, 2, 3], attrs: { groups: 2 } },
  {
    name: 'depthwise, padding 1',
    x: [2, 3, 6, 5],
    w: [3, 1, 3, 3],
    attrs: { groups: 3, padding: [1, 1] },
  },
  { name: 'one output position', x: [1, 1, 5, 5], w: [1, 1, 5, 5] },
  { name: '1×1', x: [2, 5, 7, 6], w: [7, 5, 1, 1] },
  { name: '20 positions, 2×2', x: [2, 2, 6, 5], w: [4, 2, 2, 2] },
  { name: '16 positions, one channel', x: [2, 1, 5, 6], w: [5, 1, 2, 3] },
  { name: '15 positions, 6 taps', x: [2, 2, 5, 5], w: [3, 2, 3, 1] },
  { name: '7 taps, 6 channels', x: [2, 7, 4, 5], w: [6, 7, 1, 1] },
  { name: 'LeNet 1→16 5×5 on 28×28', x: [3, 1, 28, 28], w: [16, 1, 5, 5] },
  // conv-lanes.ts: rows of 3 vectors (a last tile of 1 of 2), 5 channels (tiles of 4); x's
  // gradient's columns over 198 positions (2 lanes past them), 9 taps. The weights' gradient in
  // conv-weights-lanes.ts: rows of 4 vectors, 6 channels (blocks of 4), 12 taps.
  { name: '2→6 2×3 on 5×18', x: [2, 2, 5, 18], w: [6, 2, 2, 3] },
  // One output channel: conv-lanes.ts's 1×7 tiles over rows of 8 vectors (7, then 1).
  { name: '3→1 3×3 on 6×33', x: [2, 3, 6, 33], w: [1, 3, 3, 3] },
  {
    name: '2→5 3×3 on 7×12, padding [0, 1]',
    x: [2, 2, 7, 12],
    w: [5, 2, 3, 3],
    attrs: { padding: [0, 1] },
  },
  {
    name: '1→5 3×3 on 9×22, padding 1',
    x: [2, 1, 9, 22],
    w: [5, 1, 3, 3],
    attrs: { padding: [1, 1] },
  },
  {
    name: '16→8 3×3 groups 4, stride 2, padding 1',
    x: [2, 16, 9, 9],
    w: [8, 4, 3, 3],
    attrs: { groups: 4, stride: [2, 2], padding: [1, 1] },
  },
  // Sums of more than CONV_KC (256) terms, in float32 blocks: 300 taps, 260 output channels
  // (x's gradient), 512 positions per image (the weights' gradient, exactly two blocks).
  {
    name: '300 taps, padding 1 (forward)',
    x: [2, 12, 7, 6],
    w: [9, 12, 5, 5],
    attrs: { padding: [1, 1] },
  },
  { name: '260 output channels, 1×1', x: [2, 3, 3, 2], w: [260, 3, 1, 1] },
  { name: '512 positions, 2 groups', x: [2, 4, 17, 33], w: [10, 2, 2, 2], attrs: { groups: 2 } },
  // The weights' gradient in lanes over rows of 16 vectors: calls of 16 rows (256 vectors) and 4;
  // 9 taps (blocks of 2).
  { name: '20 rows of 64 positions', x: [2, 1, 22, 66], w: [2, 1, 3, 3] },
  // x's gradient as a forward convolution of dy with the flipped weights (stride 1, "same"
  // padding, channels per group a multiple of 8; one of 8·25 = 200 and one of 12·25 = 300 taps),
  // and where the padding is wider than the kernel's span (not).
  {
    name: '8 channels, dilation [2, 1], padding [1, 2] (forward)',
    x: [2, 8, 9, 8],
    w: [5, 8, 3, 3],
    attrs: { dilation: [2, 1], padding: [1, 2] },
  },
  {
    name: '2 groups of 8 channels (forward)',
    x: [2, 16, 6, 6],
    w: [6, 8, 2, 2],
    attrs: { groups: 2 },
  },
  {
    name: '1×1, padding 1, 8 channels',
    x: [1, 8, 4, 4],
    w: [3, 8, 1, 1],
    attrs: { padding: [1, 1] },
  },
];

/**
 * What the WebAssembly SIMD kernels compute, written out in float64 with `Math.fround`: each
 * output's products in float32, summed in float32 from +0 over blocks of at most CONV_KC terms,
 * the blocks' sums added in float64. The forward sums over taps (ci, p, q) in weight order; x's
 * gradient sums each tap's column over the group's output channels, then adds the columns into
 * the float64 dx in tap order (col2im); the weights' gradient sums over each image's positions,
 * and adds each image's sum to a float64 total. `abs` takes |x|, |w| and |dy| (the scale Σ|a·b|
 * of the error bounds), where the blocks do not matter.
 */
function blocked(
  op: 'conv2d' | 'conv2dInputGrad' | 'conv2dWeightsGrad',
  g: ConvGeometry,
  x: Float32Array,
  w: Float32Array,
  dy: Float32Array,
): Float64Array {
  const { n, c, h, w: width, o, kh, kw, ho, wo, sh, sw, ph, pw, dh, dw, groups } = g;
  const cg = c / groups;
  const og = o / groups;
  const f = Math.fround;
  /** x at (b, channel, row, column) of the unpadded image, 0 in the padding. */
  const xAt = (b: number, ch: number, i: number, j: number) =>
    i < 0 || i >= h || j < 0 || j >= width ? 0 : (x[((b * c + ch) * h + i) * width + j] as number);
  /** Σ over `count` terms of float32 products, blocked. */
  const sum = (count: number, term: (k: number) => number) => {
    let total = 0;
    let s = 0;
    for (let k = 0; k < count; k++) {
      s = f(s + f(term(k)));
      if ((k + 1) % CONV_KC === 0) {
        total += s;
        s = 0;
      }
    }
    return count % CONV_KC === 0 ? total : total + s;
  };
  const kg = cg * kh * kw;
  const tap = (t: number) => [Math.floor(t / (kh * kw)), Math.floor(t / kw) % kh, t % kw];
  // x's gradient where `conv2d-input-grad.ts` runs it as a forward convolution of dy.
  const flipped = op === 'conv2dInputGrad' ? asForward(g) : null;
  if (flipped !== null) return blocked('conv2d', flipped, dy, flipWeights(w, g), x);
  if (op === 'conv2d') {
    const y = new Float64Array(n * o * ho * wo);
    for (let b = 0; b < n; b++)
      for (let oc = 0; oc < o; oc++) {
        const group = Math.floor(oc / og);
        for (let i = 0; i < ho; i++)
          for (let j = 0; j < wo; j++) {
            y[((b * o + oc) * ho + i) * wo + j] = sum(kg, (t) => {
              const [ci, p, q] = tap(t) as [number, number, number];
              const xv = xAt(b, group * cg + ci, i * sh - ph + p * dh, j * sw - pw + q * dw);
              return xv * (w[oc * kg + t] as number);
            });
          }
      }
    return y;
  }
  if (op === 'conv2dWeightsGrad') {
    const gw = new Float64Array(o * kg);
    for (let oc = 0; oc < o; oc++) {
      const group = Math.floor(oc / og);
      for (let t = 0; t < kg; t++) {
        const [ci, p, q] = tap(t) as [number, number, number];
        let total = 0;
        if (weightsInLanes(g)) {
          // conv-weights-lanes.ts: each lane sums every fourth position of whole rows, in float32
          // over at most CONV_KC vectors, and adds (l0 + l2) + (l1 + l3) in float64.
          const chunk = Math.floor(CONV_KC / (wo / 4)) * wo;
          for (let b = 0; b < n; b++) {
            for (let start = 0; start < ho * wo; start += chunk) {
              const l = [0, 0, 0, 0];
              for (let pos = start; pos < Math.min(start + chunk, ho * wo); pos++) {
                const i = Math.floor(pos / wo);
                const j = pos % wo;
                const xv = xAt(b, group * cg + ci, i * sh - ph + p * dh, j * sw - pw + q * dw);
                const term = xv * (dy[(b * o + oc) * ho * wo + pos] as number);
                l[pos % 4] = f((l[pos % 4] as number) + f(term));
              }
              total += (l[0] as number) + (l[2] as number) + ((l[1] as number) + (l[3] as number));
            }
          }
          gw[oc * kg + t] = total;
          continue;
        }
        for (let b = 0; b < n; b++) {
          total += sum(ho * wo, (pos) => {
            const i = Math.floor(pos / wo);
            const j = pos % wo;
            const xv = xAt(b, group * cg + ci, i * sh - ph + p * dh, j * sw - pw + q * dw);
            return xv * (dy[(b * o + oc) * ho * wo + pos] as number);
          });
        }
        gw[oc * kg + t] = total;
      }
    }
    return gw;
  }
  const dx = new Float64Array(n * c * h * width);
  const hp = h + 2 * ph;
  const wp = width + 2 * pw;
  for (let b = 0; b < n; b++)
    for (let group = 0; group < groups; group++) {
      const padded = new Float64Array(cg * hp * wp);
      for (let t = 0; t < kg; t++) {
        const [ci, p, q] = tap(t) as [number, number, number];
        for (let i = 0; i < ho; i++)
          for (let j = 0; j < wo; j++) {
            const col = sum(og, (k) => {
              const oc = group * og + k;
              return (dy[((b * o + oc) * ho + i) * wo + j] as number) * (w[oc * kg + t] as number);
            });
            const at = (ci * hp + i * sh + p * dh) * wp + j * sw + q * dw;
            padded[at] = (padded[at] as number) + col;
          }
      }
      for (let ci = 0; ci < cg; ci++)
        for (let i = 0; i < h; i++)
          for (let j = 0; j < width; j++) {
            dx[((b * c + group * cg + ci) * h + i) * width + j] = padded[
              (ci * hp + i + ph) * wp + j + pw
            ] as number;
          }
    }
  return dx;
}

/**
 * The first element of `got` farther from the float64 result `exact` than `roundings` of
 * ε = 2⁻²⁴ times `scale` (Σ|a·b|), or −1; non-finite ones must match.
 */
function firstOutside(
  got: Float32Array,
  exact: Float64Array,
  scale: Float64Array,
  roundings: number,
) {
  for (let i = 0; i < got.length; i++) {
    const v = got[i] as number;
    const e = exact[i] as number;
    if (!Number.isFinite(e)) {
      if (!Object.is(v, e) && !(Number.isNaN(v) && Number.isNaN(e))) return i;
    } else if (!(Math.abs(v - e) <= roundings * 2 ** -24 * (scale[i] as number))) return i;
  }
  return -1;
}

function attrsOf(c: Case): Conv2dAttrs {
  return { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1, ...c.attrs };
}

describe('conv2d and its gradients: float32 blocks in WebAssembly SIMD, float64 in TypeScript, bitwise the same on 1 and 2 threads', {
  timeout: 60_000,
}, () => {
  it('has its WebAssembly SIMD kernels in Node', () => {
    expect(convWasm(0)).not.toBeNull();
  });

  for (const c of CASES) {
    const a = attrsOf(c);
    const g = convGeometry(c.x, c.w, a);
    const yShape = [g.n, g.o, g.ho, g.wo];
    const x = values(size(c.x), -1.3, 1.3, size(c.x));
    const w = values(size(c.w), -1.3, 1.3, size(c.w) + 1);
    const dy = values(size(yShape), -1.3, 1.3, size(yShape) + 2);
    const X = { values: x, shape: c.x };
    const W = { values: w, shape: c.w };
    const DY = { values: dy, shape: yShape };
    const abs = (v: Float32Array) => v.map(Math.abs);
    const cg = g.c / g.groups;
    const og = g.o / g.groups;
    const kg = cg * g.kh * g.kw;
    /** Error bound of a float32 sum of `k` products, in blocks, rounded once (see matmul's). */
    const roundings = (k: number) => Math.min(k, CONV_KC) + 2;

    it(`${c.name}: forward is the blocked float32 sum in tap order; without SIMD the float64 sum`, () => {
      const exact = reference('conv2d', [X, W], a);
      const scale = reference(
        'conv2d',
        [
          { values: abs(x), shape: c.x },
          { values: abs(w), shape: c.w },
        ],
        a,
      );
      const expected = blocked('conv2d', g, x, w, dy);
      const y1 = runOn(one, 'conv2d', [X, W], a, yShape) as Float32Array;
      expect(firstDifferenceFrom(y1, expected)).toBe(-1);
      expect(firstOutside(y1, exact, scale, roundings(kg))).toBe(-1);
      const { values: y2, split } = runOnCounting(two, 'conv2d', [X, W], a, yShape);
      expect(split).toBe(g.n * g.groups > 1 ? 1 : 0);
      expect(firstDifferenceFrom(y2, expected)).toBe(-1);
      const scalar = new Float32Array(size(yShape));
      conv2dUnits(x, w, scalar, g, 0, g.n * g.groups, false);
      expect(firstDifferenceFrom(scalar, exact)).toBe(-1);
    });

    it(`${c.name}: the weights' gradient is blocked per image, summed over images in float64; without SIMD the float64 sum`, () => {
      const attrs = { ...a, weightsShape: c.w };
      const exact = reference('conv2dWeightsGrad', [X, DY], attrs);
      const scale = reference(
        'conv2dWeightsGrad',
        [
          { values: abs(x), shape: c.x },
          { values: abs(dy), shape: yShape },
        ],
        attrs,
      );
      const expected = blocked('conv2dWeightsGrad', g, x, w, dy);
      const units = weightsGradUnits(g);
      for (const b of [one, two]) {
        const { values: dw, split } = runOnCounting(b, 'conv2dWeightsGrad', [X, DY], attrs, c.w);
        expect(split).toBe(b === two && units > 1 ? 1 : 0);
        expect(firstDifferenceFrom(dw, expected)).toBe(-1);
        expect(firstOutside(dw as Float32Array, exact, scale, roundings(g.ho * g.wo))).toBe(-1);
      }
      const scalar = new Float32Array(size(c.w));
      conv2dWeightsGradUnits(x, dy, scalar, g, 0, units, false);
      expect(firstDifferenceFrom(scalar, exact)).toBe(-1);
    });

    it(`${c.name}: x's gradient is a blocked forward convolution of dy, or blocked columns and col2im in float64; without SIMD within one rounding of float64`, () => {
      const attrs = { ...a, inputShape: c.x };
      const exact = reference('conv2dInputGrad', [DY, W], attrs);
      // Σ|dy·w| of each element: the scale of a float64 sum in another order, rounded once.
      const scale = reference(
        'conv2dInputGrad',
        [
          { values: abs(dy), shape: yShape },
          { values: abs(w), shape: c.w },
        ],
        attrs,
      );
      const expected = blocked('conv2dInputGrad', g, x, w, dy);
      const forward = asForward(g) !== null;
      // The bound: og·kh·kw terms in one sum as a forward convolution, else og per column.
      const terms = forward ? og * g.kh * g.kw : og;
      const dx1 = runOn(one, 'conv2dInputGrad', [DY, W], attrs, c.x) as Float32Array;
      expect(firstDifferenceFrom(dx1, expected)).toBe(-1);
      expect(firstOutside(dx1, exact, scale, roundings(terms))).toBe(-1);
      const { values, split } = runOnCounting(two, 'conv2dInputGrad', [DY, W], attrs, c.x);
      expect(split).toBe(g.n * g.groups > 1 ? 1 : 0);
      expect(firstDifference(values as Float32Array, dx1), '1 against 2 threads').toBe(-1);
      const scalar = new Float32Array(size(c.x));
      conv2dInputGradUnits(dy, w, scalar, g, 0, g.n * g.groups, false);
      for (let i = 0; i < scalar.length; i++) {
        // One float32 rounding of the result, after float64 sums (error far below it).
        const bound = 2 ** -24 * Math.abs(exact[i] as number) + 1e-12 * (scale[i] as number);
        expect(
          Math.abs((scalar[i] as number) - (exact[i] as number)),
          `element ${i}`,
        ).toBeLessThanOrEqual(bound);
      }
    });
  }

  it('propagates an infinity and a NaN in x as the reference does', () => {
    const c = CASES[0] as Case;
    const a = attrsOf(c);
    const g = convGeometry(c.x, c.w, a);
    const x = values(size(c.x), -1, 1, 5);
    x[7] = Number.POSITIVE_INFINITY;
    x[40] = Number.NaN;
    const X = { values: x, shape: c.x };
    const w = values(size(c.w), -1, 1, 6);
    const W = { values: w, shape: c.w };
    const y = runOn(two, 'conv2d', [X, W], a, [g.n, g.o, g.ho, g.wo]) as Float32Array;
    const exact = reference('conv2d', [X, W], a);
    expect(firstDifferenceFrom(y, blocked('conv2d', g, x, w, new Float32Array(0)))).toBe(-1);
    expect(y.some((v) => Number.isNaN(v)) && y.some((v) => v === Number.POSITIVE_INFINITY)).toBe(
      true,
    );
    for (let i = 0; i < y.length; i++) {
      if (!Number.isFinite(exact[i] as number)) expect(y[i]).toBe(Math.fround(exact[i] as number));
    }
  });
});

describe("x's gradient as a forward convolution", () => {
  it('is taken at stride 1 where it wastes at most 10% of its work, and not elsewhere', () => {
    const at = (x: Case['x'], w: Case['w'], attrs: Partial<Conv2dAttrs> = {}) =>
      asForward(convGeometry(x, w, attrsOf({ name: '', x, w, attrs })));
    expect(at([2, 16, 12, 12], [32, 16, 5, 5], { padding: [2, 2] })).toMatchObject({
      c: 32,
      o: 16,
      h: 12,
      ho: 12,
      ph: 2,
    });
    expect(at([2, 8, 9, 9], [4, 8, 3, 3], { padding: [1, 1] })).toMatchObject({ ph: 1, pw: 1 });
    // Unpadded 16 → 32 5×5 on 12×12: 144 positions of x where y has 64.
    expect(at([2, 16, 12, 12], [32, 16, 5, 5])).toBeNull();
    expect(at([2, 6, 9, 9], [4, 6, 3, 3], { padding: [1, 1] })).toBeNull();
    expect(at([2, 1, 28, 28], [16, 1, 5, 5], { padding: [2, 2] })).toBeNull();
    expect(at([2, 9, 9, 9], [4, 9, 3, 3], { padding: [1, 1] })).toBeNull();
    expect(at([2, 8, 9, 9], [4, 8, 3, 3], { stride: [1, 2], padding: [1, 1] })).toBeNull();
    expect(at([2, 8, 9, 9], [4, 8, 3, 3], { padding: [3, 0] })).toBeNull();
  });
});
