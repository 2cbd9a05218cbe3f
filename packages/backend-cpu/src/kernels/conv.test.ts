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
import { convGeometry } from './conv-engine.js';
import { convWasm } from './conv-wasm.js';
import { conv2dUnits } from './conv2d.js';
import { conv2dInputGradUnits } from './conv2d-input-grad.js';
import { conv2dWeightsGradUnits } from './conv2d-weights-grad.js';

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
  {
    name: '16→8 3×3 groups 4, stride 2, padding 1',
    x: [2, 16, 9, 9],
    w: [8, 4, 3, 3],
    attrs: { groups: 4, stride: [2, 2], padding: [1, 1] },
  },
];

function attrsOf(c: Case): Conv2dAttrs {
  return { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1, ...c.attrs };
}

describe('conv2d and its gradients against float64, bitwise the same on 1 and 2 threads and without SIMD', {
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

    it(`${c.name}: forward is the float64 sum in tap order, rounded once`, () => {
      const expected = reference('conv2d', [X, W], a);
      expect(firstDifferenceFrom(runOn(one, 'conv2d', [X, W], a, yShape), expected)).toBe(-1);
      const { values: y2, split } = runOnCounting(two, 'conv2d', [X, W], a, yShape);
      expect(split).toBe(g.n * g.groups > 1 ? 1 : 0);
      expect(firstDifferenceFrom(y2, expected)).toBe(-1);
      const scalar = new Float32Array(size(yShape));
      conv2dUnits(x, w, scalar, g, 0, g.n * g.groups, false);
      expect(firstDifferenceFrom(scalar, expected)).toBe(-1);
    });

    it(`${c.name}: the weights' gradient is the float64 sum over images and positions, rounded once`, () => {
      const attrs = { ...a, weightsShape: c.w };
      const expected = reference('conv2dWeightsGrad', [X, DY], attrs);
      const units = g.groups * Math.ceil(g.o / g.groups / 4);
      for (const b of [one, two]) {
        const { values: dw, split } = runOnCounting(b, 'conv2dWeightsGrad', [X, DY], attrs, c.w);
        expect(split).toBe(b === two && units > 1 ? 1 : 0);
        expect(firstDifferenceFrom(dw, expected)).toBe(-1);
      }
      const scalar = new Float32Array(size(c.w));
      conv2dWeightsGradUnits(x, dy, scalar, g, 0, units, false);
      expect(firstDifferenceFrom(scalar, expected)).toBe(-1);
    });

    it(`${c.name}: x's gradient within float32 rounding of its float64 sum`, () => {
      const attrs = { ...a, inputShape: c.x };
      const expected = reference('conv2dInputGrad', [DY, W], attrs);
      // Σ|dy·w| of each element: the scale of a float64 sum in another order, rounded once.
      const abs = (v: Float32Array) => v.map(Math.abs);
      const scale = reference(
        'conv2dInputGrad',
        [
          { values: abs(dy), shape: yShape },
          { values: abs(w), shape: c.w },
        ],
        attrs,
      );
      const dx1 = runOn(one, 'conv2dInputGrad', [DY, W], attrs, c.x) as Float32Array;
      const { values, split } = runOnCounting(two, 'conv2dInputGrad', [DY, W], attrs, c.x);
      const dx2 = values as Float32Array;
      expect(split).toBe(g.n * g.groups > 1 ? 1 : 0);
      expect(firstDifference(dx2, dx1), '1 against 2 threads').toBe(-1);
      const scalar = new Float32Array(size(c.x));
      conv2dInputGradUnits(dy, w, scalar, g, 0, g.n * g.groups, false);
      expect(firstDifference(scalar, dx1), 'without SIMD').toBe(-1);
      for (let i = 0; i < dx1.length; i++) {
        // One float32 rounding of the result, after float64 sums (error far below it).
        const bound = 2 ** -24 * Math.abs(expected[i] as number) + 1e-12 * (scale[i] as number);
        expect(
          Math.abs((dx1[i] as number) - (expected[i] as number)),
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
    const W = { values: values(size(c.w), -1, 1, 6), shape: c.w };
    const y = runOn(two, 'conv2d', [X, W], a, [g.n, g.o, g.ho, g.wo]) as Float32Array;
    expect(firstDifferenceFrom(y, reference('conv2d', [X, W], a))).toBe(-1);
  });
});
