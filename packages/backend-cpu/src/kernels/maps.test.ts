import { sizeOf } from '@illia-ts/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../cpu-backend.js';
import {
  firstDifference,
  floatsOf,
  runKernel,
  softplus64,
  startTwoThreads,
  values,
} from '../test-helpers.js';
import {
  type BinaryOp,
  binaryLayout,
  binaryRange,
  binaryShape,
  type UnaryOp,
  unaryRange,
} from './maps.js';

const one = new CpuBackend({ threads: 1 });
/** Two threads, every op split between them. */
let two: CpuBackend;

beforeAll(async () => {
  two = await startTwoThreads({ parallelThreshold: 1 });
}, 60_000);

/** `log softplus(x)` in float64 (core's reference), finite for every finite x. */
const logSoftplus64 = (x: number) =>
  x < -30 ? x + Math.log1p(-Math.exp(x) / 2) : Math.log(softplus64(x));

/**
 * Each unary op in float64: `exact` where the kernel computes the same float64 (so the float32
 * results must be bitwise those), else within float32 rounding plus 1e-8 relative and `absolute`
 * (fast-math.ts, whose own errors `fast-math.test.ts` proves: log softplus to 2e-10 absolute).
 */
const UNARY_REFERENCES: Record<
  UnaryOp,
  { fn: (x: number) => number; exact: boolean; absolute?: number }
> = {
  neg: { fn: (x) => -x, exact: true },
  exp: { fn: Math.exp, exact: true },
  log: { fn: Math.log, exact: true },
  log1p: { fn: Math.log1p, exact: true },
  sqrt: { fn: Math.sqrt, exact: true },
  square: { fn: (x) => x * x, exact: true },
  abs: { fn: Math.abs, exact: true },
  relu: { fn: (x) => Math.max(x, 0), exact: true },
  softplus: { fn: softplus64, exact: false },
  logSoftplus: { fn: logSoftplus64, exact: false, absolute: 2e-10 },
  sigmoid: { fn: (x) => 1 / (1 + Math.exp(-x)), exact: false },
  tanh: { fn: Math.tanh, exact: false },
};

/** Each binary op in float64 (`maximum` propagates NaN and takes 0 over −0, as tfjs). */
const BINARY_REFERENCES: Record<BinaryOp, (p: number, q: number) => number> = {
  add: (p, q) => p + q,
  sub: (p, q) => p - q,
  mul: (p, q) => p * q,
  div: (p, q) => p / q,
  maximum: Math.max,
  greater: (p, q) => (p > q ? 1 : 0),
  less: (p, q) => (p < q ? 1 : 0),
};

/** `fn(a, b)` with NumPy broadcasting over `shape`, element by element from coordinates. */
function broadcastReference(
  a: Float32Array,
  aShape: readonly number[],
  b: Float32Array,
  bShape: readonly number[],
  shape: readonly number[],
  fn: (p: number, q: number) => number,
): Float32Array {
  const out = new Float32Array(sizeOf(shape));
  /** The index in an operand of `xShape` of the output element at `coords`. */
  const indexIn = (xShape: readonly number[], coords: number[]) => {
    let index = 0;
    xShape.forEach((size, d) => {
      index =
        index * size + (size === 1 ? 0 : (coords[shape.length - xShape.length + d] as number));
    });
    return index;
  };
  for (let o = 0; o < out.length; o++) {
    const coords: number[] = [];
    let rest = o;
    for (let d = shape.length - 1; d >= 0; d--) {
      coords[d] = rest % (shape[d] as number);
      rest = Math.floor(rest / (shape[d] as number));
    }
    out[o] = fn(a[indexIn(aShape, coords)] as number, b[indexIn(bShape, coords)] as number);
  }
  return out;
}

describe('elementwise ops against float64, bitwise the same on 1 and 2 threads', {
  timeout: 60_000,
}, () => {
  const n = 70_001;
  const x = values(n, -30, 30, 11);
  x.set([0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e-40, -1e-3]);
  for (const [op, { fn, exact, absolute = 0 }] of Object.entries(UNARY_REFERENCES) as Array<
    [UnaryOp, (typeof UNARY_REFERENCES)[UnaryOp]]
  >) {
    it(`${op}${exact ? '' : ', within float32 rounding'}`, () => {
      const results = [one, two].map((backend) => {
        const t = backend.makeTensor(x, [n]);
        const y = runKernel(backend, op, [t], {}, [n]);
        const values = floatsOf(backend, y);
        backend.dispose(t);
        backend.dispose(y);
        return values;
      });
      const [y1, y2] = results as [Float32Array, Float32Array];
      expect(firstDifference(y2, y1), '1 against 2 threads').toBe(-1);
      if (exact) {
        expect(firstDifference(y1, Float32Array.from(x, fn))).toBe(-1);
        return;
      }
      for (let i = 0; i < n; i++) {
        const ref = fn(x[i] as number);
        const got = y1[i] as number;
        if (Object.is(got, Math.fround(ref)) || (Number.isNaN(ref) && Number.isNaN(got))) continue;
        // Rounding to float32 (at most 2^-24 relative, or half a subnormal step), after the
        // kernel's own float64 error (below 1e-8 relative).
        const bound = Math.max(Math.abs(ref), 2 ** -126) * (2 ** -24 + 1e-8) + absolute;
        expect(Math.abs(got - ref), `${op}(${x[i]})`).toBeLessThanOrEqual(bound);
      }
    });
  }

  const shapes: Array<[string, number[], number[]]> = [
    ['same shapes', [301, 233], [301, 233]],
    ['a scalar tensor', [301, 233], []],
    ['a scalar first', [1], [301, 233]],
    ['a bias', [301, 233], [233]],
    ['a bias with a leading 1, first', [1, 233], [301, 233]],
    ['a row of a 3-D tensor', [3, 101, 233], [1, 101, 233]],
    ['a column', [301, 1], [301, 233]],
    ['a row and a column', [1, 233], [301, 1]],
    ['a middle axis repeated', [7, 1, 50, 3], [7, 11, 50, 3]],
    ['both repeated along different axes', [2, 1, 40, 1], [1, 3, 40, 50]],
    ['two scalars', [1, 1], []],
    ['a scalar and a size-1 axis', [1], [5, 1]],
    ['nothing', [0, 3], [3]],
  ];
  for (const op of Object.keys(BINARY_REFERENCES) as BinaryOp[]) {
    for (const [label, aShape, bShape] of shapes) {
      it(`${op} with ${label}`, () => {
        const a = values(sizeOf(aShape), -3, 3, 12);
        const b = values(sizeOf(bShape), -3, 3, 13);
        a.set([0, Number.NaN, 2].slice(0, a.length));
        b.set([-0, 1, Number.NaN].slice(0, b.length));
        const shape = binaryShape(aShape, bShape);
        const expected = broadcastReference(a, aShape, b, bShape, shape, BINARY_REFERENCES[op]);
        for (const backend of [one, two]) {
          const before = backend.memory();
          const ta = backend.makeTensor(a, aShape);
          const tb = backend.makeTensor(b, bShape);
          const y = runKernel(backend, op, [ta, tb], {}, shape);
          expect(y.shape).toEqual(shape);
          expect(firstDifference(floatsOf(backend, y), expected)).toBe(-1);
          for (const t of [ta, tb, y]) backend.dispose(t);
          expect(backend.memory()).toEqual(before);
        }
      });
    }
  }
});

/**
 * The loops of the cheap ops take 8 elements at a time, then the rest one by one: every range
 * `[start, end)` with start and length at each remainder mod 8 must give the one-by-one loop's
 * bits (the float64 reference, rounded once) inside it and leave everything outside it untouched.
 */
describe('unrolled loops: every start and length mod 8, nothing written outside the range', () => {
  const SENTINEL = -12345.5;
  const starts = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 15];
  const lengths = [0, 1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 23, 24, 31, 40];
  const x = values(64, -4, 4, 21);
  x.set([Number.NaN, -0, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, 0], 11);
  for (const [op, { fn, exact }] of Object.entries(UNARY_REFERENCES) as Array<
    [UnaryOp, (typeof UNARY_REFERENCES)[UnaryOp]]
  >) {
    if (!exact) continue;
    it(`${op} over ranges`, () => {
      const input = op === 'log' || op === 'sqrt' || op === 'log1p' ? x.map(Math.abs) : x;
      for (const start of starts) {
        for (const length of lengths) {
          const out = new Float32Array(64).fill(SENTINEL);
          unaryRange(op, input, out, start, start + length);
          const expected = new Float32Array(64).fill(SENTINEL);
          for (let i = start; i < start + length; i++) expected[i] = fn(input[i] as number);
          expect(firstDifference(out, expected), `${op} [${start}, ${start + length})`).toBe(-1);
        }
      }
    });
  }

  /**
   * Runs of each length: same shapes (one run), a scalar either side, a row, a column (the operand
   * that advances aligned with the output, or not).
   */
  const layouts = (w: number): Array<[string, number[], number[]]> => [
    ['same shapes', [3, w], [3, w]],
    ['a scalar second', [3, w], []],
    ['a scalar first', [], [3, w]],
    ['a row', [3, w], [w]],
    ['a row first', [w], [3, w]],
    ['a column', [3, w], [3, 1]],
    ['a column first', [3, 1], [3, w]],
    // A row repeated down the output: its runs start at 0, not at the output's offset.
    ['a row and a column', [1, w], [3, 1]],
    ['a column and a row', [3, 1], [1, w]],
    // Rows that both advance along the output's last axis, neither at the output's offset.
    ['rows of two axes', [3, 1, w], [1, 3, w]],
  ];
  for (const op of Object.keys(BINARY_REFERENCES) as BinaryOp[]) {
    it(`${op} over ranges and runs`, () => {
      for (const w of [1, 2, 7, 8, 9, 13, 16, 17]) {
        for (const [label, aShape, bShape] of layouts(w)) {
          const a = values(sizeOf(aShape), -3, 3, 22 + w);
          const b = values(sizeOf(bShape), -3, 3, 23 + w);
          a.set([0, Number.NaN, 2, -0].slice(0, a.length));
          if (b.length > 4) b.set([-0, 1, Number.NaN, 0], 1);
          const shape = binaryShape(aShape, bShape);
          const full = broadcastReference(a, aShape, b, bShape, shape, BINARY_REFERENCES[op]);
          const layout = binaryLayout(aShape, bShape, shape);
          for (const start of [0, 1, 5, 8, 9]) {
            for (const end of [start, start + 1, start + 7, start + 8, start + 15, full.length]) {
              if (end > full.length || start > end) continue;
              const out = new Float32Array(full.length + 3).fill(SENTINEL);
              binaryRange(op, a, b, out.subarray(0, full.length), layout, start, end);
              const expected = new Float32Array(full.length + 3).fill(SENTINEL);
              expected.set(full.subarray(start, end), start);
              expect(
                firstDifference(out, expected),
                `${op} with ${label}, w ${w}, [${start}, ${end})`,
              ).toBe(-1);
            }
          }
        }
      }
    });
  }
});
