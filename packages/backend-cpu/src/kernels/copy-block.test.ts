import { stridesOf } from '@illia-ts/core';
import { beforeAll, describe, it } from 'vitest';
import { CpuBackend } from '../cpu-backend.js';
import { expectOnBoth, reference, startTwoThreads, values } from '../test-helpers.js';
import { blockLayout, runsOf } from './copy-block.js';

const one = new CpuBackend({ threads: 1 });
/** Two threads, every copy split between them by runs. */
let two: CpuBackend;

beforeAll(async () => {
  two = await startTwoThreads({ parallelThreshold: 1 });
}, 60_000);

const size = (shape: readonly number[]) => shape.reduce((p, q) => p * q, 1);

/** Float32 values with a NaN and a −0, and int32 values with every bit pattern kind. */
function both(shape: readonly number[], seed: number) {
  const floats = values(size(shape), -9, 9, seed);
  floats[0] = Number.NaN;
  if (floats.length > 1) floats[1] = -0;
  const ints = Int32Array.from({ length: size(shape) }, (_, i) => (i * 2654435761 + seed) | 0);
  return [
    { values: floats, shape },
    { values: ints, shape },
  ] as const;
}

describe('slice, pad and concat copy exactly, the same on 1 and 2 threads, float32 and int32', {
  timeout: 60_000,
}, () => {
  const slices: ReadonlyArray<[readonly number[], readonly number[], readonly number[]]> = [
    [
      [7, 9, 11],
      [1, 2, 3],
      [5, 6, 7],
    ],
    [
      [7, 9, 11],
      [2, 0, 0],
      [3, 9, 11],
    ],
    [
      [4, 6],
      [0, 3],
      [4, 1],
    ],
    [
      [4, 1, 6],
      [1, 0, 0],
      [2, 1, 6],
    ],
    [
      [300, 200],
      [5, 7],
      [280, 150],
    ],
  ];
  for (const [shape, begin, sizes] of slices) {
    for (const input of both(shape, 1)) {
      it(`slice ${input.values.constructor.name} [${shape}] at [${begin}] of [${sizes}]`, () => {
        const attrs = { begin, size: sizes };
        const expected = reference('slice', [input], attrs);
        const dtype = input.values instanceof Int32Array ? 'int32' : 'float32';
        // Split by runs: where the block is one run (or none), there is nothing to split.
        const offset = begin.reduce((p, b, d) => p + b * (stridesOf(shape)[d] as number), 0);
        const layout = blockLayout(sizes, stridesOf(shape), stridesOf(sizes), offset, 0);
        const split = runsOf(layout) > 1;
        expectOnBoth(one, two, expected, 'slice', [input], attrs, sizes, dtype, split);
      });
    }
  }

  const pads: ReadonlyArray<[readonly number[], ReadonlyArray<readonly [number, number]>]> = [
    [
      [5, 6, 7],
      [
        [1, 2],
        [0, 3],
        [2, 0],
      ],
    ],
    [
      [4, 3],
      [
        [0, 0],
        [5, 1],
      ],
    ],
    [
      [3, 1],
      [
        [1, 1],
        [0, 0],
      ],
    ],
    [
      [200, 250],
      [
        [3, 1],
        [2, 4],
      ],
    ],
    [
      [0, 3],
      [
        [1, 0],
        [0, 2],
      ],
    ],
  ];
  for (const [shape, paddings] of pads) {
    for (const input of both(shape, 2)) {
      it(`pad ${input.values.constructor.name} [${shape}] by ${JSON.stringify(paddings)}`, () => {
        const attrs = { paddings };
        const outShape = shape.map(
          (d, i) =>
            d +
            (paddings[i] as readonly [number, number])[0] +
            (paddings[i] as readonly [number, number])[1],
        );
        const expected = reference('pad', [input], attrs);
        const dtype = input.values instanceof Int32Array ? 'int32' : 'float32';
        const layout = blockLayout(shape, stridesOf(shape), stridesOf(outShape), 0, 0);
        const split = runsOf(layout) > 1;
        expectOnBoth(one, two, expected, 'pad', [input], attrs, outShape, dtype, split);
      });
    }
  }

  const concats: ReadonlyArray<[readonly (readonly number[])[], number]> = [
    [
      [
        [2, 3, 4],
        [2, 5, 4],
        [2, 1, 4],
      ],
      1,
    ],
    [
      [
        [3, 2],
        [3, 1],
        [3, 4],
      ],
      1,
    ],
    [
      [
        [2, 3],
        [4, 3],
      ],
      0,
    ],
    [
      [
        [100, 300],
        [100, 200],
      ],
      1,
    ],
    [
      [
        [2, 0, 3],
        [2, 2, 3],
      ],
      1,
    ],
  ];
  for (const [shapes, axis] of concats) {
    for (const dtype of ['float32', 'int32'] as const) {
      it(`concat ${dtype} ${shapes.map((s) => `[${s}]`).join(', ')} along ${axis}`, () => {
        const inputs = shapes.map((s, i) => both(s, 3 + i)[dtype === 'int32' ? 1 : 0]);
        const total = shapes.reduce((p, s) => p + (s[axis] as number), 0);
        const outShape = (shapes[0] as readonly number[]).map((d, k) => (k === axis ? total : d));
        const expected = reference('concat', inputs, { axis });
        const split = shapes.some(
          (shape) => runsOf(blockLayout(shape, stridesOf(shape), stridesOf(outShape), 0, 0)) > 1,
        );
        expectOnBoth(one, two, expected, 'concat', inputs, { axis }, outShape, dtype, split);
      });
    }
  }
});
