import type { Pool2dAttrs } from '@illia-ts/core';
import { beforeAll, describe, it } from 'vitest';
import { CpuBackend } from '../cpu-backend.js';
import { expectOnBoth, reference, startTwoThreads, values } from '../test-helpers.js';
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
    const X = { values: x, shape };
    const DY = { values: values(size(yShape), -1, 1, 9), shape: yShape };
    it(`maxPool2d, ${name}`, () => {
      const expected = reference('maxPool2d', [X], a);
      expectOnBoth(one, two, expected, 'maxPool2d', [X], a, yShape);
    });
    it(`maxPool2dGrad (the first maximum of each window), ${name}`, () => {
      const expected = reference('maxPool2dGrad', [X, DY], a);
      expectOnBoth(one, two, expected, 'maxPool2dGrad', [X, DY], a, shape);
    });
    it(`avgPool2d (padding counted), ${name}`, () => {
      const expected = reference('avgPool2d', [X], a);
      expectOnBoth(one, two, expected, 'avgPool2d', [X], a, yShape);
    });
  }
});
