import { beforeAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../cpu-backend.js';
import { expectOnBoth, reference, runKernel, startTwoThreads, values } from '../test-helpers.js';

const one = new CpuBackend({ threads: 1 });
/** Two threads, every kernel split between them. */
let two: CpuBackend;

beforeAll(async () => {
  two = await startTwoThreads({ parallelThreshold: 1 });
}, 60_000);

/** `n` indices in [0, rows) from a fixed sequence, with repeats. */
function indices(n: number, rows: number, seed: number): Int32Array {
  return Int32Array.from(values(n, 0, rows, seed), Math.floor);
}

describe('gather, scatterAdd and oneHot against float64, the same on 1 and 2 threads', {
  timeout: 60_000,
}, () => {
  for (const [name, tableShape, row] of [
    ['short rows', [50, 3], 3],
    ['long rows', [40, 2, 70], 140],
    ['a vector', [30], 1],
  ] as const) {
    const idx = { values: indices(200, tableShape[0], 3), shape: [10, 20] };
    const outShape = [10, 20, ...tableShape.slice(1)];
    it(`gather of a float32 table, ${name}`, () => {
      const table = {
        values: values(
          tableShape.reduce((p, q) => p * q, 1),
          -5,
          5,
          1,
        ),
        shape: tableShape,
      };
      table.values[row] = Number.NaN;
      table.values[0] = -0;
      const expected = reference('gather', [table, idx], {});
      expectOnBoth(one, two, expected, 'gather', [table, idx], {}, outShape);
    });
    it(`gather of an int32 table keeps every bit, ${name}`, () => {
      const n = tableShape.reduce((p, q) => p * q, 1);
      const table = {
        values: Int32Array.from({ length: n }, (_, i) => (i * 2654435761) | 0),
        shape: tableShape,
      };
      const expected = reference('gather', [table, idx], {});
      const got = expectOnBoth(one, two, expected, 'gather', [table, idx], {}, outShape, 'int32');
      expect(got).toBeInstanceOf(Int32Array);
    });
    it(`scatterAdd sums repeats in float64 in index order, ${name}`, () => {
      const rows = tableShape[0];
      const updates = { values: values(200 * row, -3, 3, 2), shape: outShape };
      updates.values[0] = -0;
      const attrs = { rows };
      const expected = reference('scatterAdd', [updates, idx], attrs);
      const shape = [rows, ...tableShape.slice(1)];
      expectOnBoth(one, two, expected, 'scatterAdd', [updates, idx], attrs, shape);
    });
  }

  it('oneHot', () => {
    const labels = { values: indices(60, 7, 4), shape: [3, 20] };
    const expected = reference('oneHot', [labels], { depth: 7 });
    // Not threaded: a fill and a store per label.
    expectOnBoth(
      one,
      two,
      expected,
      'oneHot',
      [labels],
      { depth: 7 },
      [3, 20, 7],
      'float32',
      false,
    );
  });

  it('refuses an index out of range with a RangeError naming the op, the index and where it is', () => {
    for (const b of [one, two]) {
      const before = b.memory();
      const table = b.makeTensor(values(15, 0, 1, 1), [5, 3]);
      const bad = b.makeTensor(Int32Array.of(1, 4, 0, 7), [4]);
      const negative = b.makeTensor(Int32Array.of(0, -1), [2]);
      expect(() => runKernel(b, 'gather', [table, bad], {}, [4, 3])).toThrow(
        new RangeError('gather: indices must be in [0, 5), got 7 at index 3'),
      );
      expect(() => runKernel(b, 'gather', [table, negative], {}, [2, 3])).toThrow(
        new RangeError('gather: indices must be in [0, 5), got -1 at index 1'),
      );
      const updates = b.makeTensor(values(12, 0, 1, 2), [4, 3]);
      expect(() => runKernel(b, 'scatterAdd', [updates, bad], { rows: 6 }, [6, 3])).toThrow(
        new RangeError('scatterAdd: indices must be in [0, 6), got 7 at index 3'),
      );
      expect(() => runKernel(b, 'oneHot', [bad], { depth: 5 }, [4, 5])).toThrow(
        new RangeError('oneHot: labels must be in [0, 5), got 7 at index 3'),
      );
      for (const t of [table, bad, negative, updates]) b.dispose(t);
      expect(b.memory()).toEqual(before);
    }
  });
});
