import { sizeOf, stridesOf } from '@illia-ts/core';
import { describe, expect, it } from 'vitest';
import { firstDifference, values } from '../test-helpers.js';
import { sumAxes, sumShape } from './sum.js';

/**
 * The sum as the kernel defines it, by another route: over the flat index, each input element's
 * output position found by division; each stretch of consecutive elements with one output summed
 * in four lanes (`(i − first) mod 4`) added as (l0 + l2) + (l1 + l3), then added in index order
 * to that output's float64 accumulator from +0.
 */
function sumReference(x: Float32Array, shape: readonly number[], axes: readonly number[]) {
  const outShape = sumShape(shape, axes);
  const acc = new Float64Array(sizeOf(outShape));
  const inStrides = stridesOf(shape);
  const keptStrides = stridesOf(outShape);
  const toOut: number[] = [];
  let kept = 0;
  for (let d = 0; d < shape.length; d++) {
    toOut.push(axes.includes(d) ? 0 : (keptStrides[kept++] as number));
  }
  const outOf = (i: number) => {
    let rest = i;
    let o = 0;
    for (let d = 0; d < shape.length; d++) {
      const stride = inStrides[d] as number;
      const coord = Math.floor(rest / stride);
      rest -= coord * stride;
      o += coord * (toOut[d] as number);
    }
    return o;
  };
  for (let first = 0; first < x.length; ) {
    const o = outOf(first);
    const lanes = [0, 0, 0, 0];
    let i = first;
    for (; i < x.length && outOf(i) === o; i++) {
      lanes[(i - first) % 4] = (lanes[(i - first) % 4] as number) + (x[i] as number);
    }
    const [l0, l1, l2, l3] = lanes as [number, number, number, number];
    acc[o] = (acc[o] as number) + (l0 + l2 + (l1 + l3));
    first = i;
  }
  return Float32Array.from(acc);
}

/**
 * Values in ±[2⁻²⁰, 1), some −0, and every third `gap`-wide stretch starting with a pair +2⁶⁰ and
 * −2⁶⁰ (or −, +) `gap` apart, which cancel where both land in one output. A float64 accumulator
 * that passes through 2⁶⁰ loses the small terms added meanwhile, so the result's bits show the
 * order of the additions, not just the set of terms. A NaN at index 3 if asked.
 */
function terms(n: number, seed: number, gap: number, nan: boolean): Float32Array {
  const u = values(n, 0, 1, seed);
  const e = values(n, 0, 20, seed + 1);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = u[i] as number;
    out[i] = v < 0.1 ? -0 : (v - 0.55) * 2 ** -Math.floor(e[i] as number);
  }
  for (let i = 0; i + gap < n; i += 3 * gap) {
    const sign = (u[i] as number) < 0.5 ? 1 : -1;
    out[i] = sign * 2 ** 60;
    out[i + gap] = -sign * 2 ** 60;
  }
  if (nan && n > 3) out[3] = Number.NaN;
  return out;
}

describe('sumAxes is the float64 sum of four-lane runs, bitwise', () => {
  const cases: Array<[number[], number[]]> = [
    [[], []],
    [[5], []],
    [[5], [0]],
    [[0, 3], [0]],
    [[3, 0], [0]],
    [[1], [0]],
    [[1, 1], [1]],
    [[2, 3], [0]],
    [[2, 3], [1]],
    [
      [2, 3],
      [0, 1],
    ],
    [[3, 1, 4], [1]],
    [
      [3, 1, 4],
      [0, 1],
    ],
    [
      [4, 3, 1, 5],
      [0, 3],
    ],
    [
      [64, 16, 24, 24],
      [0, 2, 3],
    ],
    [[8, 16, 6, 6], [1]],
    [
      [7, 5, 3, 2, 4],
      [0, 2, 4],
    ],
    [
      [7, 5, 3, 2, 4],
      [1, 3],
    ],
    [
      [7, 5, 3, 2, 4],
      [1, 2],
    ],
    [
      [7, 5, 3, 2, 4],
      [0, 1, 2, 3, 4],
    ],
    [[100000, 3], [0]],
    [[3, 100000], [1]],
  ];
  for (const [shape, axes] of cases) {
    const last = (shape[shape.length - 1] ?? 1) || 1;
    for (const [gap, nan] of [
      [1, false],
      [last, false],
      [1, true],
    ] as const) {
      it(`[${shape}] over [${axes}], pairs ${gap} apart${nan ? ', a NaN' : ''}`, () => {
        const x = terms(sizeOf(shape), shape.length + 7 * axes.length, gap, nan);
        const expected = sumReference(x, shape, axes);
        // Filled with garbage first: every output element must be written.
        const out = new Float32Array(expected.length).fill(123);
        expect(sumAxes(x, shape, axes, out)).toBe(out);
        expect(firstDifference(out, expected)).toBe(-1);
      });
    }
  }
  it('random shapes and axes', () => {
    const r = values(4000, 0, 1, 99);
    let t = 0;
    const next = () => r[t++ % r.length] as number;
    for (let c = 0; c < 300; c++) {
      const shape = Array.from({ length: Math.floor(next() * 6) }, () => Math.floor(next() * 5));
      const axes = shape.map((_, d) => d).filter(() => next() < 0.5);
      const x = terms(sizeOf(shape), c, 1 + (c % 3), false);
      const expected = sumReference(x, shape, axes);
      const out = new Float32Array(expected.length).fill(123);
      sumAxes(x, shape, axes, out);
      expect(firstDifference(out, expected), `[${shape}] over [${axes}]`).toBe(-1);
    }
  });
});
