import {
  abs,
  add,
  div,
  exp,
  log,
  log1p,
  maximum,
  memory,
  mul,
  neg,
  softplus,
  sqrt,
  square,
  sub,
  sum,
  type Tensor,
  tensor,
  tidy,
} from '@illia-ts/core';
import { describe, expect, it } from 'vitest';
import { f32, type SuiteContext, take, worstError } from './context.js';
import { softplus64 } from './reference.js';

/**
 * Float32 roundings allowed for a transcendental kernel (exp, log, …): engines use vectorised
 * approximations accurate to a few units in the last place, not correctly rounded ones.
 */
const TRANSCENDENTAL_ROUNDINGS = 8;
/** Roundings allowed for one arithmetic operation (correctly rounded in IEEE 754: one). */
const ARITHMETIC_ROUNDINGS = 2;

const UNARY_CASES: ReadonlyArray<{
  name: string;
  op: (x: Tensor) => Tensor;
  ref: (x: number) => number;
  inputs: number[];
  roundings: number;
}> = [
  { name: 'neg', op: neg, ref: (x) => -x, inputs: [-3.5, -1e-20, 0, 2, 1e30], roundings: 0 },
  { name: 'abs', op: abs, ref: Math.abs, inputs: [-3.5, -1e-20, 0, 2, 1e30], roundings: 0 },
  {
    name: 'square',
    op: square,
    ref: (x) => x * x,
    inputs: [-3.5, -1e-10, 0, 2, 1e15],
    roundings: ARITHMETIC_ROUNDINGS,
  },
  {
    name: 'sqrt',
    op: sqrt,
    ref: Math.sqrt,
    inputs: [0, 1e-30, 0.25, 2, 1e30],
    roundings: ARITHMETIC_ROUNDINGS,
  },
  {
    name: 'exp',
    op: exp,
    ref: Math.exp,
    inputs: [-80, -10, -1e-3, 0, 0.5, 10, 80],
    roundings: TRANSCENDENTAL_ROUNDINGS,
  },
  {
    name: 'log',
    op: log,
    ref: Math.log,
    inputs: [1e-30, 1e-3, 0.5, 2, 10, 1e30],
    roundings: TRANSCENDENTAL_ROUNDINGS,
  },
  {
    name: 'log1p',
    op: log1p,
    ref: Math.log1p,
    inputs: [-0.5, -1e-7, 1e-8, 1e-3, 0.5, 1, 100, 1e30],
    roundings: TRANSCENDENTAL_ROUNDINGS,
  },
  {
    name: 'softplus',
    op: softplus,
    ref: softplus64,
    inputs: [-100, -20, -7, -1e-3, 0, 1e-3, 1, 7, 20, 80, 100, 1e4],
    roundings: TRANSCENDENTAL_ROUNDINGS,
  },
];

const BINARY_CASES: ReadonlyArray<{
  name: string;
  op: (a: Tensor, b: Tensor) => Tensor;
  ref: (a: number, b: number) => number;
}> = [
  { name: 'add', op: add, ref: (a, b) => a + b },
  { name: 'sub', op: sub, ref: (a, b) => a - b },
  { name: 'mul', op: mul, ref: (a, b) => a * b },
  { name: 'div', op: div, ref: (a, b) => a / b },
  { name: 'maximum', op: maximum, ref: Math.max },
];

/** Shape pairs that broadcast, and the shape they broadcast to. */
const BROADCASTS: ReadonlyArray<[number[], number[], number[]]> = [
  [
    [2, 3],
    [2, 3],
    [2, 3],
  ],
  [[2, 3], [3], [2, 3]],
  [
    [2, 1],
    [1, 3],
    [2, 3],
  ],
  [[], [2, 3], [2, 3]],
  [
    [4, 1, 3],
    [2, 1],
    [4, 2, 3],
  ],
];

/** Deterministic values of a shape, none zero (so div is defined). */
function valuesFor(size: number, phase: number): Float32Array {
  return f32(
    Array.from({ length: size }, (_, i) => (i % 2 ? -1 : 1) * (0.5 + ((i * 7 + phase) % 11) / 3)),
  );
}

/** `expected[i]` for the broadcast of `a` (shape as) and `b` (shape bs) to `out`. */
function broadcastRef(
  a: Float32Array,
  as: number[],
  b: Float32Array,
  bs: number[],
  out: number[],
  fn: (x: number, y: number) => number,
): number[] {
  const index = (shape: number[], coords: number[]) => {
    let flat = 0;
    const offset = coords.length - shape.length;
    shape.forEach((dim, d) => {
      flat = flat * dim + (dim === 1 ? 0 : (coords[d + offset] as number));
    });
    return flat;
  };
  const size = out.reduce((p, q) => p * q, 1);
  return Array.from({ length: size }, (_, i) => {
    const coords: number[] = [];
    let rest = i;
    for (let d = out.length - 1; d >= 0; d--) {
      coords.unshift(rest % (out[d] as number));
      rest = Math.floor(rest / (out[d] as number));
    }
    return fn(a[index(as, coords)] as number, b[index(bs, coords)] as number);
  });
}

export function tensorTests(ctx: SuiteContext): void {
  describe('tensors', () => {
    it('tensor() keeps values, shape, size and dtype; data() reads them back', async () => {
      const values = [1.5, -2, 3.25, 1e-30, -1e30, 0];
      const t = tensor(values, [2, 3]);
      expect(t.shape).toEqual([2, 3]);
      expect(t.size).toBe(6);
      expect(t.dtype).toBe('float32');
      expect(Array.from(await take(t))).toEqual(Array.from(f32(values)));
    });

    it('data() returns a copy the caller owns', async () => {
      const t = tensor([1, 2, 3], [3]);
      const first = await t.data();
      first[0] = 99;
      expect(Array.from(await take(t))).toEqual([1, 2, 3]);
    });

    it('dataSync() reads synchronously, or says to use data()', async () => {
      const t = tensor([4, 5], [2]);
      try {
        if (ctx.backend().readSync) expect(Array.from(t.dataSync())).toEqual([4, 5]);
        else expect(() => t.dataSync()).toThrow(/data\(\)/);
      } finally {
        t.dispose();
      }
    });

    it('item() reads a one-element tensor and refuses a larger one', async () => {
      const scalar = tensor(2.5);
      const vector = tensor([1, 2]);
      try {
        expect(scalar.shape).toEqual([]);
        expect(await scalar.item()).toBe(2.5);
        await expect(vector.item()).rejects.toThrow(RangeError);
        await expect(vector.item()).rejects.toThrow(/one element.*\[2\]/);
      } finally {
        scalar.dispose();
        vector.dispose();
      }
    });

    it('dispose() frees memory; a disposed tensor used again is an error', async () => {
      const before = memory();
      const t = tensor([1, 2, 3, 4], [4]);
      expect(memory().numTensors).toBe(before.numTensors + 1);
      expect(memory().numBytes).toBe(before.numBytes + 16);
      t.dispose();
      t.dispose(); // idempotent
      expect(memory()).toEqual(before);
      expect(t.isDisposed).toBe(true);
      await expect(t.data()).rejects.toThrow(/after dispose/);
      expect(() => add(t, 1)).toThrow(/after dispose/);
    });

    it('tidy() disposes what it made except what it returns, nested too', async () => {
      const before = memory().numTensors;
      const kept = tidy(() => {
        const a = tensor([1, 2], [2]);
        const inner = tidy(() => mul(add(a, 1), 2));
        return { result: sub(inner, a), note: 'plain values pass through' };
      });
      expect(memory().numTensors).toBe(before + 1);
      expect(Array.from(await take(kept.result))).toEqual([3, 4]);
      expect(memory().numTensors).toBe(before);
    });

    it('tidy() refuses an async function and leaves nothing behind', () => {
      expect(() => tidy((async () => tensor([1])) as never)).toThrow(/synchronous/);
    });

    for (const c of UNARY_CASES) {
      it(`${c.name} matches float64 within ${c.roundings} float32 roundings`, async () => {
        const x = f32(c.inputs);
        const input = tensor(x, [x.length]);
        const got = await take(c.op(input));
        input.dispose();
        const expected = Array.from(x, c.ref);
        expect(worstError(got, expected, ctx.backend().epsilon)).toBeLessThanOrEqual(
          Math.max(c.roundings, 1),
        );
      });
    }

    for (const c of BINARY_CASES) {
      it(`${c.name} broadcasts as NumPy and rounds once`, async () => {
        for (const [as, bs, out] of BROADCASTS) {
          const av = valuesFor(
            as.reduce((p, q) => p * q, 1),
            1,
          );
          const bv = valuesFor(
            bs.reduce((p, q) => p * q, 1),
            4,
          );
          const a = tensor(av, as);
          const b = tensor(bv, bs);
          const result = c.op(a, b);
          a.dispose();
          b.dispose();
          expect(result.shape).toEqual(out);
          const got = await take(result);
          const expected = broadcastRef(av, as, bv, bs, out, c.ref);
          expect(worstError(got, expected, ctx.backend().epsilon)).toBeLessThanOrEqual(
            ARITHMETIC_ROUNDINGS,
          );
        }
      });
    }

    it('sum over all axes, given axes and negative axes', async () => {
      const values = valuesFor(60, 2);
      const x = tensor(values, [3, 4, 5]);
      const cases: Array<[number | number[] | undefined, number[]]> = [
        [undefined, []],
        [0, [4, 5]],
        [-1, [3, 4]],
        [[0, 2], [4]],
        [[], [3, 4, 5]],
      ];
      for (const [axis, shape] of cases) {
        const s = sum(x, axis);
        expect(s.shape).toEqual(shape);
        const got = await take(s);
        const summed = new Set(
          axis === undefined
            ? [0, 1, 2]
            : (Array.isArray(axis) ? axis : [axis]).map((a) => (a + 3) % 3),
        );
        const expected = new Array<number>(got.length).fill(0);
        for (let i = 0; i < 60; i++) {
          const coords = [Math.floor(i / 20), Math.floor(i / 5) % 4, i % 5];
          let o = 0;
          coords.forEach((c, d) => {
            if (!summed.has(d)) o = o * [3, 4, 5][d]! + c;
          });
          expected[o] = (expected[o] as number) + (values[i] as number);
        }
        // Each output sums at most 60 terms: a float32 sum may round once per term.
        expect(worstError(got, expected, ctx.backend().epsilon, 1e-6)).toBeLessThanOrEqual(60);
      }
      x.dispose();
    });

    it('sum of a million float32 terms is within 1e-4 of float64', async () => {
      const n = 1_000_000;
      // All positive, so that a naive float32 running sum drifts: its increments fall below ulp/2.
      const values = f32(Array.from({ length: n }, (_, i) => 1 + 0.5 * Math.sin(i)));
      let exact = 0;
      for (const v of values) exact += v;
      const x = tensor(values, [1000, 1000]);
      const total = await take(sum(x));
      const rows = await take(sum(x, 1));
      x.dispose();
      expect(Math.abs((total[0] as number) - exact) / exact).toBeLessThan(1e-4);
      let rowTotal = 0;
      for (const r of rows) rowTotal += r;
      expect(Math.abs(rowTotal - exact) / exact).toBeLessThan(1e-4);
    });
  });
}
