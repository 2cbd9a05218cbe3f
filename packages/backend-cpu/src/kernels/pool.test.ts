import type { Pool2dAttrs } from '@illia-ts/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../cpu-backend.js';
import {
  expectOnBoth,
  firstDifferenceFrom,
  reference,
  startTwoThreads,
  values,
} from '../test-helpers.js';
import { maxPool2x2 } from './max-pool2d.js';
import { maxPool2x2Grad } from './max-pool2d-grad.js';
import { poolGeometry } from './pool-geometry.js';

const one = new CpuBackend({ threads: 1 });
/** Two threads, every pool split between them by planes. */
let two: CpuBackend;

beforeAll(async () => {
  two = await startTwoThreads({ parallelThreshold: 1 });
}, 60_000);

const size = (shape: readonly number[]) => shape.reduce((p, q) => p * q, 1);

const CASES: ReadonlyArray<[string, readonly number[], Pool2dAttrs]> = [
  ['2×2 on [3, 4, 8, 6]', [3, 4, 8, 6], { kernel: [2, 2], stride: [2, 2], padding: [0, 0] }],
  // 2×2 at stride 2 has its own loops: odd sizes leave a row and a column out of every window.
  ['2×2 on [2, 3, 7, 9]', [2, 3, 7, 9], { kernel: [2, 2], stride: [2, 2], padding: [0, 0] }],
  ['2×2 on [1, 2, 3, 2]', [1, 2, 3, 2], { kernel: [2, 2], stride: [2, 2], padding: [0, 0] }],
  [
    '3×3, stride 2, padding 1 (overlapping)',
    [2, 3, 9, 7],
    { kernel: [3, 3], stride: [2, 2], padding: [1, 1] },
  ],
  ['[2, 3], stride [1, 2]', [2, 2, 5, 9], { kernel: [2, 3], stride: [1, 2], padding: [0, 1] }],
  ['3×3, stride 1, padding 1', [1, 5, 6, 6], { kernel: [3, 3], stride: [1, 1], padding: [1, 1] }],
];

describe('the pools against float64 (the same order: bitwise), the same on 1 and 2 threads', {
  timeout: 60_000,
}, () => {
  for (const [name, shape, a] of CASES) {
    const g = poolGeometry(shape, a);
    const yShape = [shape[0] as number, shape[1] as number, g.ho, g.wo];
    // Ties (values on a coarse grid), a NaN that starts a window and one later in another.
    const x = values(size(shape), -2, 2, size(shape)).map((v) => Math.round(v * 4) / 4);
    x[0] = Number.NaN;
    x[size(shape) - 3] = Number.NaN;
    // A NaN second in a window (window (0, 1) of 2×2 where w ≥ 4), and −0 and +0 tied.
    x[3] = Number.NaN;
    x[4] = -0;
    x[5] = 0;
    const X = { values: x, shape };
    const dyValues = values(size(yShape), -1, 1, 9);
    dyValues[1] = -0;
    const DY = { values: dyValues, shape: yShape };
    it(`maxPool2d, ${name}`, () => {
      const expected = reference('maxPool2d', [X], a);
      expectOnBoth(one, two, expected, 'maxPool2d', [X], a, yShape);
    });
    it(`maxPool2dGrad (the first maximum of each window), ${name}`, () => {
      const expected = reference('maxPool2dGrad', [X, DY], a);
      expectOnBoth(one, two, expected, 'maxPool2dGrad', [X, DY], a, shape);
    });
    if (g.kh === 2 && g.kw === 2 && g.sh === 2 && g.sw === 2 && g.ph === 0 && g.pw === 0) {
      it(`the TypeScript 2×2 loops (no WebAssembly), ${name}`, () => {
        const y = new Float32Array(size(yShape));
        maxPool2x2(x, y, g, 0, g.planes);
        expect(firstDifferenceFrom(y, reference('maxPool2d', [X], a))).toBe(-1);
        const dx = new Float32Array(size(shape)).fill(7);
        maxPool2x2Grad(x, DY.values, dx, g, 0, g.planes);
        expect(firstDifferenceFrom(dx, reference('maxPool2dGrad', [X, DY], a))).toBe(-1);
      });
    }
    it(`avgPool2d (padding counted), ${name}`, () => {
      const expected = reference('avgPool2d', [X], a);
      expectOnBoth(one, two, expected, 'avgPool2d', [X], a, yShape);
    });
  }
});
